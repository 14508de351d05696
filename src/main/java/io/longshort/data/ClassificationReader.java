package io.longshort.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Streams classification examples from a two-column TSV: LRA ListOps files (header
 * {@code Source<TAB>Target}, source in the LRA parenthesised form, label 0..9) and byte-level text
 * (IMDb: label and text, ids byte + 1, truncated to a maximum length).
 *
 * <p>Columns: when the first line is a header naming them ({@code Source}/{@code text} and
 * {@code Target}/{@code label}, any case), that order is used; otherwise there is no header and
 * the columns are label, text (ListOps: source, target, the LRA order). The text may contain tabs when it is the last column (the label is
 * cut at the first tab) or the first (cut at the last tab). A text field wholly in double quotes
 * is unquoted as Python's csv writer quotes it. Rows spanning lines are not supported.
 */
public final class ClassificationReader extends RowReader {
  private static final Set<String> TEXT_NAMES = Set.of("source", "text", "sentence", "review", "input", "inputs");
  private static final Set<String> LABEL_NAMES = Set.of("target", "label", "targets", "labels");

  private final boolean listOps;
  private final int maxLength;
  private final int classes;
  private boolean labelFirst;

  private ClassificationReader(Path file, boolean listOps, int maxLength, int classes, OnBadRow onBadRow)
      throws IOException {
    super(file, onBadRow);
    if (maxLength < 1) {
      throw new IllegalArgumentException("max length (" + maxLength + ") must be >= 1");
    }
    if (classes < 1) {
      throw new IllegalArgumentException("classes (" + classes + ") must be >= 1");
    }
    this.listOps = listOps;
    this.labelFirst = !listOps;
    this.maxLength = maxLength;
    this.classes = classes;
  }

  /** An LRA ListOps TSV; expressions longer than maxLength tokens are truncated (LRA: 2000). */
  public static ClassificationReader listOps(Path file, int maxLength, OnBadRow onBadRow) throws IOException {
    return new ClassificationReader(file, true, maxLength, 10, onBadRow);
  }

  /** Byte-level text classification (LRA Text: maxLength 4000, 2 classes). */
  public static ClassificationReader text(Path file, int maxLength, int classes, OnBadRow onBadRow) throws IOException {
    return new ClassificationReader(file, false, maxLength, classes, onBadRow);
  }

  @Override
  protected Example parse(byte[] line, int length, long lineNumber) throws BadRow {
    int firstTab = -1;
    int lastTab = -1;
    for (int i = 0; i < length; i++) {
      if (line[i] == '\t') {
        if (firstTab < 0) {
          firstTab = i;
        }
        lastTab = i;
      }
    }
    if (lineNumber == 1 && firstTab >= 0 && firstTab == lastTab) {
      String a = ascii(line, 0, firstTab).trim().toLowerCase(Locale.ROOT);
      String b = ascii(line, firstTab + 1, length).trim().toLowerCase(Locale.ROOT);
      if (TEXT_NAMES.contains(a) && LABEL_NAMES.contains(b)) {
        labelFirst = false;
        return null;
      }
      if (LABEL_NAMES.contains(a) && TEXT_NAMES.contains(b)) {
        labelFirst = true;
        return null;
      }
    }
    if (firstTab < 0) {
      throw new BadRow("missing column: expected 2 tab-separated columns ("
          + (labelFirst ? "label, text" : "text, label") + "), found 1");
    }
    if (listOps && firstTab != lastTab) {
      // a ListOps expression has no tab: a third column would be read into the expression as a token
      throw new BadRow("expected 2 tab-separated columns (" + (labelFirst ? "label, text" : "text, label")
          + "), found " + (tabs(line, length).length + 1));
    }
    int labelFrom;
    int labelTo;
    int textFrom;
    int textTo;
    if (labelFirst) {
      labelFrom = 0;
      labelTo = firstTab;
      textFrom = firstTab + 1;
      textTo = length;
    } else {
      textFrom = 0;
      textTo = lastTab;
      labelFrom = lastTab + 1;
      labelTo = length;
    }
    int label = label(line, labelFrom, labelTo, classes, false);
    if (listOps) {
      byte[] ids;
      try {
        ids = ListOpsVocab.encode(ascii(line, textFrom, textTo));
      } catch (IllegalArgumentException e) {
        throw new BadRow(e.getMessage());
      }
      if (ids.length == 0) {
        throw new BadRow("empty expression");
      }
      try {
        // one whole expression (brackets balanced), checked before LRA's truncation to maxLength
        ListOpsVocab.argumentCounts(ids);
      } catch (IllegalArgumentException e) {
        throw new BadRow("not one ListOps expression: " + e.getMessage());
      }
      return Example.listOps(truncated(ids, maxLength), label);
    }
    return Example.text(truncated(unquoted(line, textFrom, textTo), maxLength), label);
  }
}
