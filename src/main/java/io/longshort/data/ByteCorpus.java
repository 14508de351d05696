package io.longshort.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw-byte character corpus (enwik8, text8, any file), split as the enwik8/text8 benchmarks do:
 * the first {@code train} bytes (90M), the next {@code valid} (5M), the last {@code test} (5M).
 * A file smaller than train + valid + test is split by the same proportions (train and valid
 * rounded down, test the rest). Windows are read from the file on demand; nothing is loaded whole.
 * Ids are the bytes themselves, 0..255 (vocabulary 256, as the enwik8 configs).
 */
public final class ByteCorpus implements Closeable {
  public static final long DEFAULT_TRAIN = 90_000_000L;
  public static final long DEFAULT_VALID = 5_000_000L;
  public static final long DEFAULT_TEST = 5_000_000L;

  /** The three parts. */
  public enum Split { TRAIN, VALID, TEST }

  /** Bytes [offset, offset + length) of the file. */
  public record Range(long offset, long length) {}

  private final Path file;
  private final FileChannel channel;
  private final long size;
  private final Range train;
  private final Range valid;
  private final Range test;

  private ByteCorpus(Path file, long trainBytes, long validBytes, long testBytes) throws IOException {
    if (trainBytes < 0 || validBytes < 0 || testBytes < 0 || trainBytes + validBytes + testBytes <= 0) {
      throw new IllegalArgumentException("split sizes (" + trainBytes + ", " + validBytes + ", " + testBytes
          + ") must be >= 0 with a positive sum");
    }
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.size = channel.size();
    long total = trainBytes + validBytes + testBytes;
    if (size >= total) {
      train = new Range(0, trainBytes);
      valid = new Range(trainBytes, validBytes);
      test = new Range(size - testBytes, testBytes);
    } else {
      long t = (long) Math.floor(size * (double) trainBytes / total);
      long v = (long) Math.floor(size * (double) validBytes / total);
      train = new Range(0, t);
      valid = new Range(t, v);
      test = new Range(t + v, size - t - v);
    }
  }

  /** 90M / 5M / 5M. */
  public static ByteCorpus open(Path file) throws IOException {
    return open(file, DEFAULT_TRAIN, DEFAULT_VALID, DEFAULT_TEST);
  }

  public static ByteCorpus open(Path file, long trainBytes, long validBytes, long testBytes) throws IOException {
    return new ByteCorpus(file, trainBytes, validBytes, testBytes);
  }

  public long size() {
    return size;
  }

  public Range range(Split split) {
    return switch (split) {
      case TRAIN -> train;
      case VALID -> valid;
      case TEST -> test;
    };
  }

  /** Reads bytes [offset, offset + dst.length) of the file (thread-safe positional reads). */
  public void read(long offset, byte[] dst) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(dst);
    long pos = offset;
    while (bb.hasRemaining()) {
      int n = channel.read(bb, pos);
      if (n < 0) {
        throw new IOException(file + ": unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  /**
   * Windows of {@code length} input bytes and their next-byte targets over one split: window k
   * covers bytes [start + k·stride, start + k·stride + length + 1) of the split; the inputs are its
   * first {@code length} bytes, the targets its last {@code length}. Only whole windows.
   */
  public Windows windows(Split split, int length, int stride) {
    if (length < 1 || stride < 1) {
      throw new IllegalArgumentException("window length (" + length + ") and stride (" + stride + ") must be >= 1");
    }
    return new Windows(range(split), length, stride);
  }

  /** Non-overlapping windows (stride = length). */
  public Windows windows(Split split, int length) {
    return windows(split, length, length);
  }

  /** The windows of a split as an {@link ExampleSource} of {@link Example#window} examples. */
  public final class Windows implements ExampleSource {
    private final Range range;
    private final int length;
    private final int stride;
    private final int count;

    private Windows(Range range, int length, int stride) {
      this.range = range;
      this.length = length;
      this.stride = stride;
      long c = range.length() < length + 1 ? 0 : (range.length() - length - 1) / stride + 1;
      if (c > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("too many windows (" + c + "); use a larger stride");
      }
      this.count = (int) c;
    }

    @Override
    public int size() {
      return count;
    }

    @Override
    public int length(int index) {
      return length;
    }

    /** Offset of window {@code index} in the file. */
    public long offset(int index) {
      return range.offset() + (long) index * stride;
    }

    @Override
    public Example get(int index) {
      if (index < 0 || index >= count) {
        throw new IndexOutOfBoundsException("window " + index + " of " + count);
      }
      byte[] b = new byte[length + 1];
      try {
        read(offset(index), b);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return Example.window(b);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
