package io.longshort.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Examples from the rows of a user's file ({@link TextRows}): the text field(s) tokenized as the
 * model family reads them and cut to N, the label mapped by {@link LabelNames}. The file is
 * streamed; only the truncated examples are kept (what training samples from).
 */
public final class TextFileExamples {
  /** How a row's texts become an example. */
  public enum Kind {
    /** One text field, bytes (ids byte + 1): LRA text classifiers. */
    TEXT(1),
    /** Two text fields, bytes: retrieval pairs. */
    PAIR(2),
    /** One text field, a ListOps expression ({@link ListOpsTokenizer}). */
    LISTOPS(1);

    private final int fields;

    Kind(int fields) {
      this.fields = fields;
    }

    /** How many text fields a row of this kind has. */
    public int textFields() {
      return fields;
    }
  }

  private TextFileExamples() {}

  /**
   * Reads every row; a label that {@code labels} lacks fails naming the row and the field (in a
   * validation file: a label training never saw).
   */
  public static ExampleList read(TextRows rows, LabelNames labels, String labelField, Kind kind, int n)
      throws IOException {
    if (n < 1) {
      throw new IllegalArgumentException("length n (" + n + ") must be >= 1");
    }
    List<Example> out = new ArrayList<>();
    for (TextRow r = rows.next(); r != null; r = rows.next()) {
      if (r.texts().size() != kind.textFields()) {
        throw new IllegalArgumentException(kind + " rows need " + kind.textFields() + " text field(s), "
            + r.texts().size() + " given");
      }
      int label = labels.id(r.label());
      if (label < 0) {
        throw rows.bad(r.number(), "field '" + labelField + "': label '" + r.label()
            + "' is not one of the training labels " + labels.names());
      }
      out.add(switch (kind) {
        case TEXT -> Example.text(cut(r.texts().get(0), n), label);
        case PAIR -> Example.pair(cut(r.texts().get(0), n), cut(r.texts().get(1), n), label);
        case LISTOPS -> Example.listOps(listOps(rows, r, n), label);
      });
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(rows.file() + ": no rows");
    }
    return new ExampleList(out);
  }

  private static byte[] listOps(TextRows rows, TextRow r, int n) throws MalformedRowException {
    int[] ids;
    try {
      ids = ListOpsTokenizer.INSTANCE.tokenIds(r.texts().get(0));
    } catch (IllegalArgumentException e) {
      throw rows.bad(r.number(), e.getMessage());
    }
    byte[] kept = new byte[Math.min(ids.length, n)];
    for (int i = 0; i < kept.length; i++) {
      kept[i] = (byte) ids[i];
    }
    return kept;
  }

  private static byte[] cut(byte[] bytes, int n) {
    return bytes.length <= n ? bytes : java.util.Arrays.copyOf(bytes, n);
  }

}
