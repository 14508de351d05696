package io.longshort.data;

/** What a reader does with a malformed row. */
public enum OnBadRow {
  /** Throw a {@link MalformedRowException} naming file, line and problem. */
  FAIL,
  /** Skip the row and count it ({@code skippedRows()}, with the first few messages kept). */
  SKIP
}
