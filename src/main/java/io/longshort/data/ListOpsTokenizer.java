package io.longshort.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * ListOps expressions with the {@link ListOpsVocab} ids: tokens split at space, tab, CR, LF and the
 * parentheses (dropped), {@code ]} a token of its own; every other byte belongs to a token, so a
 * token with any other byte (NUL, {@code \v}, non-ASCII) is unknown and refused.
 *
 * <p>The table's text file has one line per id (line number = id). Ids that are not tokens
 * (padding, the unused slot, CLS) get a line starting with a space: the splitter never yields a
 * token containing a space, so those lines can never be matched.
 */
public final class ListOpsTokenizer implements TextTokenizer {
  public static final ListOpsTokenizer INSTANCE = new ListOpsTokenizer();

  private ListOpsTokenizer() {}

  @Override
  public int padId() {
    return ListOpsVocab.PAD;
  }

  @Override
  public int[] tokenIds(byte[] text) {
    // ISO-8859-1 maps each byte to one char, so a non-ASCII byte stays one (unknown) character
    byte[] ids = ListOpsVocab.encode(new String(text, StandardCharsets.ISO_8859_1));
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }

  /** ListOps ids stand for operators and digits, tokens of their own, not bytes. */
  @Override
  public int byteOfId(int id) {
    return -1;
  }

  @Override
  public List<String> vocabularyLines() {
    List<String> lines = new ArrayList<>(ListOpsVocab.VOCAB_SIZE);
    for (int id = 0; id < ListOpsVocab.VOCAB_SIZE; id++) {
      boolean token = ListOpsVocab.isDigit(id) || ListOpsVocab.isOperator(id) || id == ListOpsVocab.END;
      lines.add(token ? ListOpsVocab.symbol(id) : " <not a token: id " + id + ">");
    }
    return lines;
  }
}
