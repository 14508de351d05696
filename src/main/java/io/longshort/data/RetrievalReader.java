package io.longshort.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Streams retrieval pairs from the LRA AAN TSV: no header, exactly 5 tab-separated columns
 * {@code label, id1, id2, text1, text2}. The label is 0 or 1 (an integer, or a decimal with a
 * zero fraction such as {@code 1.0}); each text is cut to {@code maxChars} characters (LRA:
 * 10,000), byte-encoded (ids byte + 1) and truncated to {@code maxLength} bytes (LRA: 4096).
 */
public final class RetrievalReader extends RowReader {
  public static final int DEFAULT_MAX_CHARS = 10_000;

  private final int maxChars;
  private final int maxLength;

  private RetrievalReader(Path file, int maxChars, int maxLength, OnBadRow onBadRow) throws IOException {
    super(file, onBadRow);
    if (maxLength < 1 || maxChars < 1) {
      throw new IllegalArgumentException("max length (" + maxLength + ") and max characters (" + maxChars
          + ") must be >= 1");
    }
    this.maxChars = maxChars;
    this.maxLength = maxLength;
  }

  public static RetrievalReader open(Path file, int maxLength, OnBadRow onBadRow) throws IOException {
    return new RetrievalReader(file, DEFAULT_MAX_CHARS, maxLength, onBadRow);
  }

  public static RetrievalReader open(Path file, int maxChars, int maxLength, OnBadRow onBadRow) throws IOException {
    return new RetrievalReader(file, maxChars, maxLength, onBadRow);
  }

  @Override
  protected Example parse(byte[] line, int length, long lineNumber) throws BadRow {
    int[] tabs = tabs(line, length);
    if (tabs.length != 4) {
      throw new BadRow((tabs.length < 4 ? "missing column" : "extra column")
          + ": expected 5 tab-separated columns (label, id1, id2, text1, text2), found " + (tabs.length + 1));
    }
    int label = label(line, 0, tabs[0], 2, true);
    byte[] t1 = text(line, tabs[2] + 1, tabs[3]);
    byte[] t2 = text(line, tabs[3] + 1, length);
    return Example.pair(t1, t2, label);
  }

  private byte[] text(byte[] line, int from, int to) {
    return truncated(firstChars(unquoted(line, from, to), maxChars), maxLength);
  }
}
