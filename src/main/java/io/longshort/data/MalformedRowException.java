package io.longshort.data;

import java.io.IOException;
import java.nio.file.Path;

/** A row of a data file that cannot be read: names the file, the line or record (1-based) and the problem. */
public final class MalformedRowException extends IOException {
  private final Path file;
  private final long line;
  private final String problem;

  public MalformedRowException(Path file, long line, String problem) {
    this(file, "line", line, problem);
  }

  /** A row counted in another unit ({@code "record"} for TFRecord files); {@link #line()} is its number. */
  public MalformedRowException(Path file, String unit, long line, String problem) {
    super(file + " " + unit + " " + line + ": " + problem);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }

  public Path file() {
    return file;
  }

  public long line() {
    return line;
  }

  public String problem() {
    return problem;
  }
}
