package io.longshort.export;

import io.longshort.data.TfExampleRows;
import io.longshort.io.TfRecords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The readers stream: each format's file is larger than the heap (-Xmx32m) of the JVM that reads it,
 * and that JVM reads it whole (labels, then every example) without running out of memory.
 */
class StreamingReadTest {
  private static final int HEAP_MB = 32;
  private static final int ROWS = 200;
  private static final int ROW_BYTES = 256 * 1024; // 200 rows of 256 KiB: 50 MiB of text, over the heap

  private static byte[] text(int row) {
    byte[] t = new byte[ROW_BYTES];
    Arrays.fill(t, (byte) ('a' + row % 26));
    return t;
  }

  private static String label(int row) {
    return row % 3 == 0 ? "spam" : "ham";
  }

  @Test
  void jsonlLargerThanTheHeap(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.jsonl");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f))) {
      for (int r = 0; r < ROWS; r++) {
        out.write("{\"label\": \"".getBytes(StandardCharsets.UTF_8));
        out.write(label(r).getBytes(StandardCharsets.UTF_8));
        out.write("\", \"text\": \"".getBytes(StandardCharsets.UTF_8));
        out.write(text(r));
        out.write("\"}\n".getBytes(StandardCharsets.UTF_8));
      }
    }
    assertReadsInSmallHeap("jsonl", f);
  }

  @Test
  void csvLargerThanTheHeap(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.csv");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f))) {
      out.write("label,text\n".getBytes(StandardCharsets.UTF_8));
      for (int r = 0; r < ROWS; r++) {
        out.write((label(r) + ",").getBytes(StandardCharsets.UTF_8));
        out.write(text(r));
        out.write('\n');
      }
    }
    assertReadsInSmallHeap("csv", f);
  }

  @Test
  void tfRecordLargerThanTheHeap(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.tfrecord");
    // written in chunks of records: TfRecords.encode builds one chunk in memory, the file grows on disk
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f))) {
      for (int r = 0; r < ROWS; r++) {
        out.write(TfRecords.encode(List.of(TfExampleRowsTest.example("text", TfExampleRowsTest.bytes(text(r)),
            "label", TfExampleRowsTest.bytes(label(r).getBytes(StandardCharsets.UTF_8))))));
      }
    }
    assertReadsInSmallHeap("tfrecord", f);
  }

  private static void assertReadsInSmallHeap(String format, Path f) throws Exception {
    assertTrue(Files.size(f) > (HEAP_MB + 8) * 1024L * 1024L, "the file must be larger than the reader's heap");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + HEAP_MB + "m", "-cp", System.getProperty("java.class.path"), StreamingRead.class.getName(), format,
        f.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.startsWith(ROWS + " [ham, spam] max heap "), out);
  }
}
