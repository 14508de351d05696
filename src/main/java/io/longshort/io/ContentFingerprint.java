package io.longshort.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A cheap fingerprint of files' contents (never their names or paths), for "is this the same data
 * set" and "is this still the file we wrote": SHA-256 over each file's size, its first and last MiB
 * and 64 blocks of 4 KiB at evenly spaced offsets in between (a file up to 2 MiB + 256 KiB is
 * hashed whole). So at most about 2.3 MiB is read per file whatever its size: an edit that keeps
 * the size and falls outside every sampled block of a larger file is not seen, any other change is
 * (a row added or removed changes the size; a file rewritten or reshuffled changes its ends).
 * Written {@code sha256:<16 hex digits>} (64 bits: enough to tell data sets apart).
 */
public final class ContentFingerprint {
  static final int END_BYTES = 1 << 20;
  static final int BLOCK_BYTES = 4096;
  static final int BLOCKS = 64;
  private static final String PREFIX = "sha256:";

  private ContentFingerprint() {}

  /** The fingerprint of one file. */
  public static String of(Path file) throws IOException {
    return of(List.of(file));
  }

  /** The fingerprint of {@code files} in this order (the same contents in another order differ). */
  public static String of(List<Path> files) throws IOException {
    MessageDigest d = sha256();
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IOException(f + ": no such file (to fingerprint its contents)");
      }
      try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
        long size = c.size();
        d.update(ByteBuffer.allocate(Long.BYTES).putLong(size).array());
        if (size <= 2L * END_BYTES + (long) BLOCKS * BLOCK_BYTES) {
          digest(d, c, 0, size);
        } else {
          digest(d, c, 0, END_BYTES);
          long middle = size - 2L * END_BYTES - BLOCK_BYTES;
          for (int i = 0; i < BLOCKS; i++) {
            digest(d, c, END_BYTES + middle * i / (BLOCKS - 1), BLOCK_BYTES);
          }
          digest(d, c, size - END_BYTES, END_BYTES);
        }
      }
    }
    return PREFIX + HexFormat.of().formatHex(d.digest(), 0, 8);
  }

  /**
   * The fingerprint of data held in memory (decoded images and their labels, say): every value,
   * in order, with the arrays' lengths; one data set per (floats, ints) pair, pairs in order.
   */
  public static String ofArrays(List<float[]> floats, List<int[]> ints) {
    if (floats.size() != ints.size()) {
      throw new IllegalArgumentException("ofArrays takes (floats, ints) pairs: " + floats.size() + " and "
          + ints.size() + " arrays");
    }
    MessageDigest d = sha256();
    // in chunks: a data set's pixels may be hundreds of MB
    ByteBuffer b = ByteBuffer.allocate(1 << 16);
    for (int i = 0; i < floats.size(); i++) {
      float[] f = floats.get(i);
      int[] n = ints.get(i);
      d.update(b.clear().putLong(f.length).putLong(n.length).array(), 0, 2 * Long.BYTES);
      for (int at = 0; at < f.length; at += b.capacity() / Float.BYTES) {
        int count = Math.min(b.capacity() / Float.BYTES, f.length - at);
        b.clear().asFloatBuffer().put(f, at, count);
        d.update(b.array(), 0, count * Float.BYTES);
      }
      for (int at = 0; at < n.length; at += b.capacity() / Integer.BYTES) {
        int count = Math.min(b.capacity() / Integer.BYTES, n.length - at);
        b.clear().asIntBuffer().put(n, at, count);
        d.update(b.array(), 0, count * Integer.BYTES);
      }
    }
    return PREFIX + HexFormat.of().formatHex(d.digest(), 0, 8);
  }

  private static void digest(MessageDigest d, FileChannel c, long at, long bytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(bytes, 1 << 16));
    for (long done = 0; done < bytes; ) {
      b.clear().limit((int) Math.min(b.capacity(), bytes - done));
      int n = c.read(b, at + done);
      if (n < 0) {
        throw new IOException("the file shrank while it was read");
      }
      d.update(b.array(), 0, n);
      done += n;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
