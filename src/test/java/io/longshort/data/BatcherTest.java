package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatcherTest {
  @TempDir
  Path dir;

  /** n text examples; example i has length lengths[i] (bytes 'a'..), label i % 2. */
  private static ExampleList texts(int... lengths) {
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < lengths.length; i++) {
      byte[] b = new byte[lengths[i]];
      Arrays.fill(b, (byte) ('a' + i % 26));
      ex.add(Example.text(b, i % 2));
    }
    return new ExampleList(ex);
  }

  private static ExampleList randomTexts(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] lengths = new int[n];
    for (int i = 0; i < n; i++) {
      lengths[i] = 1 + r.nextInt(100);
    }
    return texts(lengths);
  }

  @Test
  void shapesPaddingMasksAndLabels() {
    Batcher b = Batcher.builder(texts(3, 6, 1), BatchKind.CLASSIFICATION).batchSize(2).length(4).build();
    assertEquals(2, b.batchesPerEpoch());
    Batch first = b.batch(0, 0);
    assertArrayEquals(new long[] {2, 4}, first.get("input_ids").shape());
    int a = 'a' + 1;
    int bb = 'b' + 1;
    assertArrayEquals(new int[] {a, a, a, 0, bb, bb, bb, bb}, ints(first, "input_ids"), "padded, and truncated to N = 4");
    assertArrayEquals(new int[] {1, 1, 1, 0, 1, 1, 1, 1}, ints(first, "mask"));
    assertArrayEquals(new int[] {0, 1}, ints(first, Batch.LABELS));
    assertEquals(2, first.realRows());
    assertArrayEquals(new long[] {2}, first.get(Batch.LABELS).shape(), "one label per row, no next-token targets");
    Batch last = b.batch(0, 1);
    assertEquals(1, last.realRows(), "the remainder is kept, padded with empty rows");
    assertArrayEquals(new int[] {'c' + 1, 0, 0, 0, 0, 0, 0, 0}, ints(last, "input_ids"));
    assertArrayEquals(new int[] {1, 0, 0, 0, 0, 0, 0, 0}, ints(last, "mask"));
    assertEquals(List.of("input_ids", "mask", "labels"), new ArrayList<>(last.arrays().keySet()));

    Batcher drop = Batcher.builder(texts(3, 6, 1), BatchKind.CLASSIFICATION).batchSize(2).length(4)
        .dropRemainder(true).build();
    assertEquals(1, drop.batchesPerEpoch());
  }

  @Test
  void retrievalBatchesHoldBothTowers() {
    ExampleList pairs = new ExampleList(List.of(
        Example.pair(new byte[] {0, 1}, new byte[] {2}, 1),
        Example.pair(new byte[] {5}, new byte[] {6, 7, 8}, 0)));
    Batch b = Batcher.builder(pairs, BatchKind.RETRIEVAL).batchSize(2).length(3).build().batch(0, 0);
    assertArrayEquals(new int[] {1, 2, 0, 6, 0, 0}, ints(b, "input_ids_0"));
    assertArrayEquals(new int[] {1, 1, 0, 1, 0, 0}, ints(b, "mask_0"));
    assertArrayEquals(new int[] {3, 0, 0, 7, 8, 9}, ints(b, "input_ids_1"));
    assertArrayEquals(new int[] {1, 0, 0, 1, 1, 1}, ints(b, "mask_1"));
    assertArrayEquals(new int[] {1, 0}, ints(b, Batch.LABELS));
    assertEquals(List.of("input_ids_0", "mask_0", "input_ids_1", "mask_1", "labels"),
        new ArrayList<>(b.arrays().keySet()));
  }

  @Test
  void languageModelBatchesPredictTheNextByte() throws Exception {
    byte[] data = new byte[200];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i + 100);
    }
    Path f = dir.resolve("corpus");
    Files.write(f, data);
    try (ByteCorpus c = ByteCorpus.open(f)) {
      ByteCorpus.Windows w = c.windows(ByteCorpus.Split.TRAIN, 8); // 180 bytes: 22 windows
      Batcher b = Batcher.builder(w, BatchKind.LANGUAGE_MODEL).batchSize(4).length(8).build();
      Batch batch = b.batch(0, 1);
      assertArrayEquals(new long[] {4, 8}, batch.get("input_ids").shape());
      for (int r = 0; r < 4; r++) {
        int start = (4 + r) * 8;
        for (int t = 0; t < 8; t++) {
          assertEquals((start + t + 100) & 0xFF, ints(batch, "input_ids")[r * 8 + t]);
          assertEquals((start + t + 101) & 0xFF, ints(batch, Batch.LABELS)[r * 8 + t]);
          assertEquals(1, ints(batch, "mask")[r * 8 + t]);
        }
      }
      assertArrayEquals(new long[] {4, 8}, batch.get(Batch.LABELS).shape(), "next-token targets, no class labels");
    }
  }

  @Test
  void shuffledOrderDependsOnlyOnSeedAndEpoch() {
    ExampleList data = randomTexts(103, 1);
    Batcher a = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(64).shuffle(5).build();
    Batcher again = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(64).shuffle(5).build();
    Batcher other = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(64).shuffle(6).build();
    assertTrue(Arrays.deepEquals(a.epochPlan(3), again.epochPlan(3)));
    assertTrue(Arrays.deepEquals(a.epochPlan(3), a.epochPlan(3)), "no hidden state");
    assertFalse(Arrays.deepEquals(a.epochPlan(3), a.epochPlan(4)), "epochs differ");
    assertFalse(Arrays.deepEquals(a.epochPlan(3), other.epochPlan(3)), "seeds differ");
    // every example exactly once per epoch
    int[] seen = new int[103];
    for (int[] batch : a.epochPlan(3)) {
      for (int i : batch) {
        seen[i]++;
      }
    }
    for (int s : seen) {
      assertEquals(1, s);
    }
    Batcher plain = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(64).build();
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, plain.epochPlan(0)[0], "no shuffle: file order");
  }

  @Test
  void resumingAtAPositionGivesTheSameBatchesAsRunningOn() {
    ExampleList data = randomTexts(50, 2);
    Batcher b = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(100).shuffle(11)
        .bucketBatches(3).build();
    assertEquals(7, b.batchesPerEpoch());
    Batcher.BatchIterator run = b.iterator(0, 0);
    List<int[]> straight = new ArrayList<>();
    Batcher.Position saved = null;
    for (int i = 0; i < 20; i++) {
      if (i == 9) {
        saved = run.position();
      }
      straight.add(run.next().exampleIndices());
    }
    assertEquals(new Batcher.Position(1, 2), saved, "after 9 batches of 7 per epoch");
    assertEquals(new Batcher.Position(2, 6), run.position());
    // a fresh batcher (a restarted process) resumed at the saved position
    Batcher restarted = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(100).shuffle(11)
        .bucketBatches(3).build();
    Batcher.BatchIterator resumed = restarted.iterator(saved.epoch(), saved.batch());
    for (int i = 9; i < 20; i++) {
      assertArrayEquals(straight.get(i), resumed.next().exampleIndices(), "batch " + i);
    }
    Batch direct = restarted.batch(1, 2);
    assertArrayEquals(straight.get(9), direct.exampleIndices());
    // the end of an epoch is the start of the next
    assertEquals(new Batcher.Position(1, 0), b.iterator(0, 7).position());
    assertThrows(IllegalArgumentException.class, () -> b.iterator(0, 8));
    // a bounded run ends
    Batcher.BatchIterator one = b.epoch(4);
    int count = 0;
    while (one.hasNext()) {
      one.next();
      count++;
    }
    assertEquals(7, count);
  }

  @Test
  void bucketingCutsPadding() {
    ExampleList data = randomTexts(400, 3);
    Batcher plain = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(100).shuffle(1).build();
    Batcher bucketed = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(100).shuffle(1)
        .bucketBatches(10).build();
    long padPlain = padding(plain, data);
    long padBucketed = padding(bucketed, data);
    assertTrue(padBucketed * 3 < padPlain, "padding to each batch's longest: " + padBucketed + " vs " + padPlain);
    // batches are not in length order after the batch shuffle
    int[][] plan = bucketed.epochPlan(0);
    boolean increasing = true;
    for (int i = 1; i < plan.length; i++) {
      increasing &= data.length(plan[i][0]) >= data.length(plan[i - 1][0]);
    }
    assertFalse(increasing);
    // padToLongest: N is the batch's longest, rounded up to a multiple, at most the length
    Batcher tight = Batcher.builder(data, BatchKind.CLASSIFICATION).batchSize(8).length(100).shuffle(1)
        .bucketBatches(10).padToLongest(16).build();
    for (int i = 0; i < 5; i++) {
      Batch b = tight.batch(0, i);
      int longest = Arrays.stream(b.exampleIndices()).map(data::length).max().getAsInt();
      long length = b.get("input_ids").shape()[1];
      assertEquals(Math.min(100, (longest + 15) / 16 * 16), length);
      assertEquals(8 * length, ints(b, "input_ids").length);
    }
  }

  private static int[] ints(Batch b, String name) {
    return b.get(name).ints();
  }

  /** Sum over batches of (B x longest in batch - tokens). */
  private static long padding(Batcher b, ExampleList data) {
    long pad = 0;
    for (int[] batch : b.epochPlan(0)) {
      int longest = 0;
      for (int i : batch) {
        longest = Math.max(longest, data.length(i));
      }
      for (int i : batch) {
        pad += longest - data.length(i);
      }
    }
    return pad;
  }

  @Test
  void badSettingsAreRejected() {
    ExampleList data = texts(1, 2);
    assertThrows(IllegalArgumentException.class, () -> Batcher.builder(data, BatchKind.CLASSIFICATION).build());
    assertThrows(IllegalArgumentException.class,
        () -> Batcher.builder(data, BatchKind.CLASSIFICATION).length(4).batchSize(0).build());
    assertThrows(IllegalArgumentException.class,
        () -> Batcher.builder(data, BatchKind.RETRIEVAL).length(4).build().batch(0, 0));
    assertNotEquals(0, Batcher.builder(data, BatchKind.CLASSIFICATION).length(4).build().batchesPerEpoch());
  }
}
