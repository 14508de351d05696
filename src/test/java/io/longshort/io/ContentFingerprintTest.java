package io.longshort.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentFingerprintTest {
  @TempDir
  Path dir;

  private Path file(String name, byte[] bytes) throws Exception {
    return Files.write(dir.resolve(name), bytes);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void aSmallFileIsHashedWholeWithItsSize() throws Exception {
    byte[] b = "Source\tTarget\n( [MAX 2 9 ] )\t9\n".getBytes();
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update(java.nio.ByteBuffer.allocate(8).putLong(b.length).array());
    d.update(b);
    assertEquals("sha256:" + HexFormat.of().formatHex(d.digest(), 0, 8), ContentFingerprint.of(file("a.tsv", b)));
  }

  @Test
  void contentsCountNotNamesAndOrderCounts() throws Exception {
    Path a = file("a", random(5000, 1));
    Path b = file("elsewhere-b", random(5000, 1));
    Path c = file("c", random(7000, 2));
    assertEquals(ContentFingerprint.of(a), ContentFingerprint.of(b));
    assertNotEquals(ContentFingerprint.of(List.of(a, c)), ContentFingerprint.of(List.of(c, a)));
    assertNotEquals(ContentFingerprint.of(a), ContentFingerprint.of(c));
  }

  @Test
  void aLargeFileIsSampledAndAChangeInASampleOrTheSizeIsSeen() throws Exception {
    int n = 8 << 20;
    Path big = file("big", random(n, 3));
    String before = ContentFingerprint.of(big);
    long middle = n - 2L * ContentFingerprint.END_BYTES - ContentFingerprint.BLOCK_BYTES;
    // a byte in the 10th sampled block, one in the last MiB: seen
    for (long at : new long[] {ContentFingerprint.END_BYTES + middle * 10 / (ContentFingerprint.BLOCKS - 1) + 7,
        n - 3}) {
      flip(big, at);
      assertNotEquals(before, ContentFingerprint.of(big), "changed at " + at);
      flip(big, at);
      assertEquals(before, ContentFingerprint.of(big));
    }
    // one byte appended: the size differs
    Files.write(big, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    assertNotEquals(before, ContentFingerprint.of(big));
    assertTrue(before.matches("sha256:[0-9a-f]{16}"), before);
  }

  private static void flip(Path f, long at) throws Exception {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.seek(at);
      int b = r.read();
      r.seek(at);
      r.write(b ^ 0xff);
    }
  }

  @Test
  void arraysAreHashedWholeWithTheirLengths() throws Exception {
    float[] pixels = new float[100_000];
    int[] labels = new int[40];
    Random r = new Random(4);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = r.nextFloat();
    }
    for (int i = 0; i < labels.length; i++) {
      labels[i] = r.nextInt(10);
    }
    // reference: SHA-256 of the lengths and the values, big-endian, in one buffer
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + 4 * pixels.length + 4 * labels.length);
    b.putLong(pixels.length).putLong(labels.length);
    for (float f : pixels) {
      b.putFloat(f);
    }
    for (int l : labels) {
      b.putInt(l);
    }
    String expected = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()), 0, 8);
    assertEquals(expected, ContentFingerprint.ofArrays(List.of(pixels), List.of(labels)));
    labels[39] ^= 1;
    assertNotEquals(expected, ContentFingerprint.ofArrays(List.of(pixels), List.of(labels)));
  }
}
