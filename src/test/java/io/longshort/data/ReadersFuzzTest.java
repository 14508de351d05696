package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.longshort.weights.FuzzFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz targets of the data readers: LRA TSV files (ListOps, text, AAN retrieval) in both bad-row
 * modes, byte corpora, and the ListOps TSV writer. A TSV file is read or refused with a
 * MalformedRowException naming file and line (and, skipping, never refused); every example keeps
 * the reader's promises (length within the limit, label in range); a corpus window is exactly its
 * bytes of the file; what the ListOps writer writes reads back equal.
 */
class ReadersFuzzTest {
  private static final int MAX_LENGTH = 16;
  private static final int CLASSES = 3;

  @FuzzTest(maxDuration = "2m")
  void anyTsvFileIsReadOrRefusedByRow(byte[] data) throws IOException {
    Path file = FuzzFiles.file("rows.tsv");
    Files.write(file, data);
    for (OnBadRow mode : OnBadRow.values()) {
      for (int kind = 0; kind < 3; kind++) {
        RowReader reader = switch (kind) {
          case 0 -> ClassificationReader.listOps(file, MAX_LENGTH, mode);
          case 1 -> ClassificationReader.text(file, MAX_LENGTH, CLASSES, mode);
          default -> RetrievalReader.open(file, MAX_LENGTH, mode);
        };
        try (reader) {
          ExampleList list = reader.readAll();
          for (int i = 0; i < list.size(); i++) {
            Example e = list.get(i);
            assertTrue(e.maxLength() <= MAX_LENGTH + 1, "example " + i + " has " + e.maxLength() + " tokens");
            assertTrue(e.label() >= 0 && e.label() < (kind == 0 ? 10 : kind == 1 ? CLASSES : 2),
                "label " + e.label());
          }
        } catch (MalformedRowException e) {
          assertEquals(OnBadRow.FAIL, mode, "skipping never fails: " + e.getMessage());
          assertTrue(e.getMessage().startsWith(file + " line " + e.line() + ": "), e.getMessage());
        }
      }
    }
  }

  @FuzzTest(maxDuration = "2m")
  void anyCorpusFileGivesWholeWindows(FuzzedDataProvider data) throws IOException {
    int length = data.consumeInt(1, 8);
    int stride = data.consumeInt(1, 8);
    long train = data.consumeLong(0, 64);
    long valid = data.consumeLong(0, 16);
    long test = data.consumeLong(0, 16);
    byte[] bytes = data.consumeRemainingAsBytes();
    Path file = FuzzFiles.file("corpus.bin");
    Files.write(file, bytes);
    ByteCorpus corpus;
    try {
      corpus = ByteCorpus.open(file, train, valid, test);
    } catch (IllegalArgumentException refused) {
      assertEquals(0, train + valid + test, refused.getMessage());
      return;
    }
    try (corpus) {
      long covered = 0;
      for (ByteCorpus.Split split : ByteCorpus.Split.values()) {
        ByteCorpus.Range r = corpus.range(split);
        assertTrue(r.offset() >= 0 && r.length() >= 0 && r.offset() + r.length() <= bytes.length, split + " " + r);
        covered += r.length();
        ByteCorpus.Windows w = corpus.windows(split, length, stride);
        for (int i = 0; i < w.size(); i++) {
          long at = w.offset(i);
          assertTrue(at >= r.offset() && at + length + 1 <= r.offset() + r.length(), "window " + i + " inside " + split);
          Example e = w.get(i);
          byte[] expected = Arrays.copyOfRange(bytes, (int) at, (int) at + length + 1);
          int[] ids = e.ids();
          for (int k = 0; k <= length; k++) {
            assertEquals(expected[k] & 0xff, ids[k], "window " + i + " byte " + k);
          }
        }
      }
      assertTrue(covered <= bytes.length);
    }
  }

  @FuzzTest(maxDuration = "2m")
  void writtenListOpsReadsBackEqual(FuzzedDataProvider data) throws IOException {
    // generated expressions, then maybe one of arbitrary ids, which the writer must refuse
    // cleanly unless it happens to be an expression (found by fuzzing: not every id sequence is one)
    ListOpsGenerator generator = new ListOpsGenerator(data.consumeLong(), 1, 60, data.consumeInt(2, 4),
        data.consumeInt(2, 4));
    List<ListOpsExample> examples = new ArrayList<>();
    for (int n = data.consumeInt(0, 6); n > 0; n--) {
      examples.add(generator.next());
    }
    boolean arbitrary = data.consumeBoolean();
    if (arbitrary) {
      byte[] ids = new byte[data.consumeInt(1, 24)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = (byte) data.consumeInt(1, 15); // digits 1..10, operators 11..14, ']' 15
      }
      examples.add(new ListOpsExample(ids, data.consumeInt(0, 9)));
    }
    Path dir = FuzzFiles.file("listops");
    Files.createDirectories(dir);
    try (var old = Files.list(dir)) {
      for (Path f : old.toList()) {
        Files.delete(f);
      }
    }
    Path file = dir.resolve("listops.tsv");
    try {
      ListOpsTsv.write(file, examples);
    } catch (IllegalArgumentException refused) {
      assertTrue(arbitrary, "generated expressions are written: " + refused.getMessage());
      try (var left = Files.list(dir)) {
        assertEquals(0, left.count(), "a refused write leaves no file behind");
      }
      return;
    }
    List<ListOpsExample> read = ListOpsTsv.read(file);
    assertEquals(examples.size(), read.size());
    for (int i = 0; i < examples.size(); i++) {
      assertArrayEquals(examples.get(i).ids(), read.get(i).ids(), "row " + i);
      assertEquals(examples.get(i).label(), read.get(i).label(), "row " + i);
    }
  }
}
