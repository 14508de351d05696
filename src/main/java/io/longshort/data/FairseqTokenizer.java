package io.longshort.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Text for the authors' fairseq LM: each byte is one token with the id its dictionary gives it
 * ({@link FairseqDictionary#idOfByte()}: the newline {@code </s>}, a byte the dictionary lacks
 * {@code <unk>}); padding is {@code <pad>}. The table's text file has 256 lines, line b holding the
 * id of byte b.
 */
public final class FairseqTokenizer implements TextTokenizer {
  private final int[] idOfByte;
  private final int[] byteOfId;

  public FairseqTokenizer(FairseqDictionary dictionary) {
    this.idOfByte = dictionary.idOfByte();
    this.byteOfId = dictionary.byteOfId();
  }

  @Override
  public int padId() {
    return FairseqDictionary.PAD;
  }

  @Override
  public int[] tokenIds(byte[] text) {
    int[] ids = new int[text.length];
    for (int i = 0; i < text.length; i++) {
      ids[i] = idOfByte[text[i] & 0xFF];
    }
    return ids;
  }

  /** {@link FairseqDictionary#byteOfId()}: {@code </s>} is the newline; specials and padding symbols none. */
  @Override
  public int byteOfId(int id) {
    return id >= 0 && id < byteOfId.length ? byteOfId[id] : -1;
  }

  @Override
  public List<String> vocabularyLines() {
    List<String> lines = new ArrayList<>(256);
    for (int id : idOfByte) {
      lines.add(Integer.toString(id));
    }
    return lines;
  }
}
