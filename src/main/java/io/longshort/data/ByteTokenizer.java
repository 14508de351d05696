package io.longshort.data;

import java.util.List;

/**
 * Byte-level text: each byte is one token. Classifiers and retrieval (LRA text, AAN) use id
 * byte + 1, so 0 stays padding (ids 1..256; {@link Example#text} stores bytes with this offset);
 * our byte language models use id = byte (vocabulary 256, {@link Example#window}), padded with 0
 * where the mask is 0.
 */
public final class ByteTokenizer implements TextTokenizer {
  /** Classifiers: id = byte + ID_OFFSET. */
  public static final int ID_OFFSET = 1;
  /** Byte language models: id = byte + LM_ID_OFFSET. */
  public static final int LM_ID_OFFSET = 0;
  public static final int PAD = 0;
  /** Classifiers and retrieval: ids byte + 1. */
  public static final ByteTokenizer INSTANCE = new ByteTokenizer(ID_OFFSET);
  /** Our byte language models: ids = byte. */
  public static final ByteTokenizer LANGUAGE_MODEL = new ByteTokenizer(LM_ID_OFFSET);

  private final int offset;

  private ByteTokenizer(int offset) {
    this.offset = offset;
  }

  /** What each byte's id adds to the byte. */
  public int idOffset() {
    return offset;
  }

  @Override
  public int padId() {
    return PAD;
  }

  @Override
  public int[] tokenIds(byte[] text) {
    int[] ids = new int[text.length];
    for (int i = 0; i < text.length; i++) {
      ids[i] = (text[i] & 0xFF) + offset;
    }
    return ids;
  }

  @Override
  public int byteOfId(int id) {
    int b = id - offset;
    return b >= 0 && b < 256 ? b : -1;
  }

  @Override
  public List<String> vocabularyLines() {
    return List.of();
  }
}
