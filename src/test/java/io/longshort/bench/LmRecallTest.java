package io.longshort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.RecallCorpus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache carries information (issue 14): on a {@link RecallCorpus} whose repeated blocks can
 * only be predicted from the block before, the authors' LM trained by truncated BPTT with its cache
 * learns to predict them, and the same model with the cache zeroed before every block stays at
 * chance. A small run (the value one block back, 600 updates): no timing.
 */
class LmRecallTest {
  @Test
  void recallBytesArePredictedThroughTheCacheOnly(@TempDir Path dir) throws Exception {
    LmRecallBench.Setting s = LmRecallBench.setting(600, 1, 64, 4, 1e-3, 2, 32);
    List<LmRecallBench.Point> cached = LmRecallBench.curve(s, false, dir.resolve("cached"));
    List<LmRecallBench.Point> zeroed = LmRecallBench.curve(s, true, dir.resolve("zeroed"));
    assertEquals(12, cached.size());
    double chance = 1.0 / s.task().letters();
    double cachedEnd = cached.get(cached.size() - 1).accuracy();
    double zeroedEnd = zeroed.get(zeroed.size() - 1).accuracy();
    assertTrue(cachedEnd >= 0.9, "with the cache: " + cached);
    for (LmRecallBench.Point p : zeroed) {
      // near chance: 1/8 over 32 lanes x 15 bytes x ~25 repeats per point, a few standard errors
      assertTrue(p.accuracy() < chance + 0.06, "with the cache zeroed: " + zeroed);
    }
    assertTrue(cachedEnd > zeroedEnd + 0.5, cachedEnd + " vs " + zeroedEnd);
  }

  @Test
  void recallTargetsAreTheRepeatsBytesAfterItsFirst() {
    RecallCorpus task = new RecallCorpus(4, 2, 8);
    byte[] b = task.bytes(1, 2, 3);
    assertEquals(24, b.length);
    for (int i = 0; i < 4; i++) {
      assertEquals(b[i], b[8 + i]);
      assertEquals('.', b[4 + i]);
    }
    assertTrue(task.isRecallTarget(2, 0) && task.isRecallTarget(2, 2) && task.isRecallTarget(5, 1));
    assertFalse(task.isRecallTarget(2, 3) || task.isRecallTarget(0, 1) || task.isRecallTarget(1, 1));
  }
}
