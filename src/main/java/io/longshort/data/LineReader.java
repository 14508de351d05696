package io.longshort.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a file line by line as raw bytes (no charset decoding, so byte-level encodings see the
 * file's bytes), through a fixed buffer: only the current line is held. Strips {@code \n} and a
 * {@code \r} before it.
 */
final class LineReader implements Closeable {
  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private byte[] line = new byte[1024];
  private int lineLength;
  private long lineNumber;

  LineReader(Path file) throws IOException {
    this.in = Files.newInputStream(file);
  }

  /** Advances to the next line; false at the end of the file. */
  boolean next() throws IOException {
    lineLength = 0;
    boolean any = false;
    while (true) {
      if (pos == limit) {
        limit = in.read(buf, 0, buf.length);
        pos = 0;
        if (limit <= 0) {
          limit = 0;
          if (!any) {
            return false;
          }
          break;
        }
      }
      any = true;
      int start = pos;
      while (pos < limit && buf[pos] != '\n') {
        pos++;
      }
      append(start, pos);
      if (pos < limit) {
        pos++; // the '\n'
        break;
      }
    }
    if (lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    lineNumber++;
    return true;
  }

  private void append(int from, int to) {
    int n = to - from;
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
    }
    System.arraycopy(buf, from, line, lineLength, n);
    lineLength += n;
  }

  /** The current line's bytes; valid up to {@link #length()} until the next call to next(). */
  byte[] bytes() {
    return line;
  }

  int length() {
    return lineLength;
  }

  /** 1-based number of the current line. */
  long lineNumber() {
    return lineNumber;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
