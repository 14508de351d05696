package io.longshort.data;

import java.util.List;

/**
 * Byte-level text (LRA text, retrieval, our byte LMs' classifiers): each byte is one token with id
 * byte + 1, so 0 stays padding (ids 1..256). {@link Example#text} stores bytes with this offset.
 */
public final class ByteTokenizer implements TextTokenizer {
  /** id = byte + ID_OFFSET. */
  public static final int ID_OFFSET = 1;
  public static final int PAD = 0;
  public static final ByteTokenizer INSTANCE = new ByteTokenizer();

  private ByteTokenizer() {}

  @Override
  public int padId() {
    return PAD;
  }

  @Override
  public int[] tokenIds(byte[] text) {
    int[] ids = new int[text.length];
    for (int i = 0; i < text.length; i++) {
      ids[i] = (text[i] & 0xFF) + ID_OFFSET;
    }
    return ids;
  }

  @Override
  public List<String> vocabularyLines() {
    return List.of();
  }
}
