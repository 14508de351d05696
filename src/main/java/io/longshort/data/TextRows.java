package io.longshort.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Streams the rows of a user's data file (JSONL, CSV/TSV, TFRecord of tf.Example) with the named
 * text fields and label field; only the current row is in memory. A row without a field, or with
 * one of the wrong type, or that cannot be parsed, fails with a {@link MalformedRowException}
 * naming the file, the line or record and the field.
 */
public interface TextRows extends Closeable {
  /** The next row, or null at the end of the file. */
  TextRow next() throws IOException;

  Path file();

  /** What rows are counted in, for messages: {@code "line"} or {@code "record"}. */
  default String unit() {
    return "line";
  }

  /** A problem with the row numbered {@code number}, as every reader reports it. */
  default MalformedRowException bad(long number, String problem) {
    return new MalformedRowException(file(), unit(), number, problem);
  }
}
