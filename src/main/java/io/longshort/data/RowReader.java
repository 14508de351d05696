package io.longshort.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Streams the examples of a tab-separated file row by row; only the current row is in memory.
 * A malformed row fails with a {@link MalformedRowException} (file, line, problem) or, with
 * {@link OnBadRow#SKIP}, is skipped and counted. Empty lines are ignored.
 */
public abstract class RowReader implements Iterator<Example>, Closeable {
  /** How many skip messages are kept. */
  public static final int KEPT_MESSAGES = 10;

  private final Path file;
  private final OnBadRow onBadRow;
  private final LineReader lines;
  private Example next;
  private boolean done;
  private long rows;
  private long skipped;
  private final List<String> skipMessages = new ArrayList<>();

  protected RowReader(Path file, OnBadRow onBadRow) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.io.FileNotFoundException(file + ": no such file");
    }
    this.file = file;
    this.onBadRow = onBadRow;
    this.lines = new LineReader(file);
  }

  /** A problem with the current row; turned into a {@link MalformedRowException} with file and line. */
  protected static final class BadRow extends Exception {
    public BadRow(String problem) {
      super(problem, null, false, false);
    }
  }

  /**
   * Parses one line; returns null for a line that is not an example (a header).
   *
   * @param line the bytes, valid up to {@code length}
   * @param lineNumber 1-based
   */
  protected abstract Example parse(byte[] line, int length, long lineNumber) throws BadRow;

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (done) {
      return false;
    }
    try {
      next = advance();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return next != null;
  }

  /** Like {@link #hasNext()} + {@link #next()}, with the checked exception: null at the end. */
  public Example read() throws IOException {
    if (next != null) {
      Example e = next;
      next = null;
      return e;
    }
    if (done) {
      return null;
    }
    return advance();
  }

  private Example advance() throws IOException {
    while (lines.next()) {
      if (lines.length() == 0) {
        continue;
      }
      try {
        Example e = parse(lines.bytes(), lines.length(), lines.lineNumber());
        if (e != null) {
          rows++;
          return e;
        }
      } catch (BadRow bad) {
        if (onBadRow == OnBadRow.FAIL) {
          throw new MalformedRowException(file, lines.lineNumber(), bad.getMessage());
        }
        skipped++;
        if (skipMessages.size() < KEPT_MESSAGES) {
          skipMessages.add(file + " line " + lines.lineNumber() + ": " + bad.getMessage());
        }
      }
    }
    done = true;
    return null;
  }

  /**
   * Next example; a malformed row in FAIL mode surfaces as an {@link UncheckedIOException} whose
   * cause is the {@link MalformedRowException} (use {@link #read()} for the checked form).
   */
  @Override
  public Example next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Example e = next;
    next = null;
    return e;
  }

  /** Reads the remaining rows into memory (one compact copy, not the file's text). */
  public ExampleList readAll() throws IOException {
    List<Example> all = new ArrayList<>();
    for (Example e = read(); e != null; e = read()) {
      all.add(e);
    }
    return new ExampleList(all);
  }

  public Path file() {
    return file;
  }

  /** Examples returned so far. */
  public long rows() {
    return rows;
  }

  /** Malformed rows skipped so far (SKIP mode). */
  public long skippedRows() {
    return skipped;
  }

  /** The first {@value #KEPT_MESSAGES} skip messages, "file line n: problem". */
  public List<String> skipMessages() {
    return Collections.unmodifiableList(skipMessages);
  }

  @Override
  public void close() throws IOException {
    lines.close();
  }

  // ---- helpers for subclasses

  /** Positions of the tabs in line[0, length). */
  protected static int[] tabs(byte[] line, int length) {
    int n = 0;
    for (int i = 0; i < length; i++) {
      if (line[i] == '\t') {
        n++;
      }
    }
    int[] out = new int[n];
    n = 0;
    for (int i = 0; i < length; i++) {
      if (line[i] == '\t') {
        out[n++] = i;
      }
    }
    return out;
  }

  protected static String ascii(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.UTF_8);
  }

  /** A short, printable quote of a field for messages. */
  protected static String quote(byte[] b, int from, int to) {
    String s = ascii(b, from, Math.min(to, from + 40));
    return "'" + s + (to - from > 40 ? "..." : "") + "'";
  }

  /**
   * The label in b[from, to): an integer, or with {@code allowIntegralDecimal} also a decimal with
   * a zero fraction ({@code 1.0}, as the AAN files write labels); must be in [0, classes).
   */
  protected static int label(byte[] b, int from, int to, int classes, boolean allowIntegralDecimal) throws BadRow {
    String s = ascii(b, from, to).trim();
    int value;
    try {
      value = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      Integer v = null;
      if (allowIntegralDecimal && s.matches("[+-]?\\d+\\.0*")) {
        try {
          v = Integer.parseInt(s.substring(0, s.indexOf('.')));
        } catch (NumberFormatException e2) {
          v = null;
        }
      }
      if (v == null) {
        throw new BadRow("label " + quote(b, from, to) + " is not an integer");
      }
      value = v;
    }
    if (value < 0 || value >= classes) {
      throw new BadRow("label " + value + " is out of range: expected 0.." + (classes - 1));
    }
    return value;
  }

  /**
   * The bytes of a field, with CSV quoting undone when the whole field is quoted
   * ({@code "a ""b"""} is {@code a "b"}), as Python's csv writer quotes fields.
   */
  protected static byte[] unquoted(byte[] b, int from, int to) {
    if (to - from >= 2 && b[from] == '"' && b[to - 1] == '"') {
      byte[] out = new byte[to - from - 2];
      int n = 0;
      for (int i = from + 1; i < to - 1; i++) {
        out[n++] = b[i];
        if (b[i] == '"' && i + 1 < to - 1 && b[i + 1] == '"') {
          i++;
        }
      }
      return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }
    return java.util.Arrays.copyOfRange(b, from, to);
  }

  /** The first {@code maxChars} UTF-8 characters of bytes (a character starts at a non-continuation byte). */
  protected static byte[] firstChars(byte[] bytes, int maxChars) {
    int chars = 0;
    for (int i = 0; i < bytes.length; i++) {
      if ((bytes[i] & 0xC0) != 0x80) {
        if (chars == maxChars) {
          return java.util.Arrays.copyOf(bytes, i);
        }
        chars++;
      }
    }
    return bytes;
  }

  protected static byte[] truncated(byte[] bytes, int maxLength) {
    return bytes.length <= maxLength ? bytes : java.util.Arrays.copyOf(bytes, maxLength);
  }
}
