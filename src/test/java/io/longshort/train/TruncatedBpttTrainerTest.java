package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.BpttStreams;
import io.longshort.data.ByteCorpus;
import io.longshort.spec.TransformerLsSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * Truncated-BPTT training of the authors' LM: lanes read consecutive blocks, and a killed and
 * resumed run (weights, optimizer state, cache and data position from the checkpoint) ends with
 * the weights and cache of an uninterrupted one.
 */
class TruncatedBpttTrainerTest {
  static final int LANES = 2;
  static final int BLOCK = 8;

  static TransformerLsSpec spec() {
    return TransformerLsSpec.builder().setVocabSize(11).setWidth(8).setInnerWidth(12).setHeads(2).setLayers(2)
        .setMemLen(8).setWindow(4).setChunkSize(2).setChunkRank(1).optDropout(0.1).optEmbDropout(0.1).build();
  }

  static int[] ids() {
    int[] ids = new int[256];
    for (int b = 0; b < 256; b++) {
      ids[b] = b % 11;
    }
    return ids;
  }

  static byte[] randomBytes(long seed) {
    byte[] bytes = new byte[2000];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  static OptimizerSpec optimizer() {
    return AdamW.builder().setLearningRate(1e-2).optEpsilon(1e-8).optWeightDecay(0.01)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optWarmup(2).optTotalSteps(100).build();
  }

  @Test
  void lanesReadConsecutiveBlocks(@TempDir Path dir) throws Exception {
    byte[] bytes = new byte[100];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    Path file = dir.resolve("c.bin");
    Files.write(file, bytes);
    int[] identity = new int[256];
    java.util.Arrays.setAll(identity, i -> i);
    try (ByteCorpus c = ByteCorpus.open(file)) {
      BpttStreams s = new BpttStreams(c, new ByteCorpus.Range(0, 100), 2, 8, identity);
      assertEquals(6, s.blocksPerEpoch()); // lanes of 50 bytes: 6 blocks of 8 and their next byte
      BpttStreams.Batch b1 = s.batch(1);
      assertEquals(8, b1.ids()[0]);
      assertEquals(58, b1.ids()[8]);
      assertEquals(59, b1.targets()[8]);
      assertFalse(b1.startsEpoch());
      assertTrue(s.batch(6).startsEpoch());
      assertArrayEquals(s.batch(0).ids(), s.batch(6).ids());
    }
  }

  @Test
  void killedAndResumedRunEndsWithTheUninterruptedRunsWeights(@TempDir Path dir) throws Exception {
    byte[] bytes = randomBytes(1);
    Path file = dir.resolve("corpus.bin");
    Files.write(file, bytes);
    OptimizerSpec opt = optimizer();
    Map<String, double[]> whole;
    double[] wholeCache;
    double[] firstLoss = new double[1];
    double[] lastLoss = new double[1];
    try (ByteCorpus c = ByteCorpus.open(file)) {
      ByteCorpus.Range range = new ByteCorpus.Range(0, bytes.length);
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, dir.resolve("a"))) {
        t.train(6, 3, 2, (s, loss) -> {
          if (s == 1) {
            firstLoss[0] = loss;
          }
          lastLoss[0] = loss;
        });
        whole = t.weights();
        wholeCache = t.cache();
      }
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, dir.resolve("b"))) {
        t.train(3, 3, 2, null); // killed after its step-3 checkpoint
      }
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, dir.resolve("b"))) {
        assertEquals(3, t.step());
        t.train(6, 3, 2, null);
        for (Map.Entry<String, double[]> e : t.weights().entrySet()) {
          assertArrayEquals(whole.get(e.getKey()), e.getValue(), 0.0, e.getKey());
        }
        assertArrayEquals(wholeCache, t.cache(), 0.0, "cache");
      }
    }
    assertTrue(Double.isFinite(firstLoss[0]) && Double.isFinite(lastLoss[0]));
    assertTrue(java.util.Arrays.stream(wholeCache).anyMatch(x -> x != 0), "the cache carries the lanes' history");
  }

  /**
   * Gradient accumulation over lane groups: 4 lanes in 2 groups of 2 per update give the updates of
   * one batch of 4 lanes (SGD and no dropout, so only float rounding differs), cache included, and a
   * grouped run killed after a checkpoint resumes into the same run (the groups' caches from the
   * checkpointed whole).
   */
  @Test
  void laneGroupsAccumulateToTheWholeBatchsUpdate(@TempDir Path dir) throws Exception {
    byte[] bytes = randomBytes(2);
    Path file = dir.resolve("corpus.bin");
    Files.write(file, bytes);
    TransformerLsSpec spec = spec().toBuilder().optDropout(0).optEmbDropout(0).build();
    int lanes = 4;
    Map<String, double[]> whole;
    double[] wholeCache;
    double[] wholeLoss = new double[7];
    double[] groupedLoss = new double[7];
    try (ByteCorpus c = ByteCorpus.open(file)) {
      ByteCorpus.Range range = new ByteCorpus.Range(0, bytes.length);
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec, sgd(1),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat32.class, 7, null)) {
        t.train(6, 100, 1, (s, loss) -> wholeLoss[(int) s] = loss);
        whole = t.weights();
        wholeCache = t.cache();
      }
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec, sgd(2),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat32.class, 7, dir.resolve("g"))) {
        t.train(3, 3, 2, (s, loss) -> groupedLoss[(int) s] = loss); // killed after its step-3 checkpoint
      }
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec, sgd(2),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat32.class, 7, dir.resolve("g"))) {
        assertEquals(3, t.step());
        t.train(6, 3, 2, (s, loss) -> groupedLoss[(int) s] = loss);
        for (Map.Entry<String, double[]> e : t.weights().entrySet()) {
          assertArrayEquals(whole.get(e.getKey()), e.getValue(), 1e-5, e.getKey());
        }
        assertArrayEquals(wholeCache, t.cache(), 1e-5, "cache");
      }
    }
    assertArrayEquals(wholeLoss, groupedLoss, 1e-5, "losses per update");
    assertTrue(java.util.Arrays.stream(wholeCache).anyMatch(x -> x != 0), "the cache carries the lanes' history");
  }

  /**
   * {@code train-lm --recompute} in float64 with dropout on, lanes in 2 accumulated groups: a
   * recomputing run killed after a checkpoint and resumed (the first half without recomputation,
   * the second with it: the checkpoints are the same) ends with the weights and cache of an
   * uninterrupted plain run, within 1e-9.
   */
  @Test
  void recomputedRunAccumulatesAndResumesToThePlainRunsWeights(@TempDir Path dir) throws Exception {
    byte[] bytes = randomBytes(3);
    Path file = dir.resolve("corpus.bin");
    Files.write(file, bytes);
    int lanes = 4;
    Map<String, double[]> whole;
    double[] wholeCache;
    try (ByteCorpus c = ByteCorpus.open(file)) {
      ByteCorpus.Range range = new ByteCorpus.Range(0, bytes.length);
      try (TruncatedBpttTrainer<TFloat64> t = new TruncatedBpttTrainer<>(spec(), sgd(2),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat64.class, 7, null, null, false)) {
        t.train(4, 100, 1, null);
        whole = t.weights();
        wholeCache = t.cache();
      }
      try (TruncatedBpttTrainer<TFloat64> t = new TruncatedBpttTrainer<>(spec(), sgd(2),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat64.class, 7, dir.resolve("r"), null,
          false)) {
        t.train(2, 2, 2, null); // killed after its step-2 checkpoint
      }
      try (TruncatedBpttTrainer<TFloat64> t = new TruncatedBpttTrainer<>(spec(), sgd(2),
          new BpttStreams(c, range, lanes, BLOCK, ids()), lanes, BLOCK, TFloat64.class, 7, dir.resolve("r"), null,
          true)) {
        assertEquals(2, t.step());
        t.train(4, 2, 2, null);
        for (Map.Entry<String, double[]> e : t.weights().entrySet()) {
          assertArrayEquals(whole.get(e.getKey()), e.getValue(), 1e-9, e.getKey());
        }
        assertArrayEquals(wholeCache, t.cache(), 1e-9, "cache");
      }
    }
  }

  /** SGD with momentum over k lane groups per update. */
  static OptimizerSpec sgd(int k) {
    return Sgd.builder().setLearningRate(0.3).optEpsilon(1e-8).optMomentum(0.9)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optTotalSteps(100).optAccumulationSteps(k).build();
  }

  /**
   * Through the run folder: a damaged newest checkpoint is passed over (the run resumes from the
   * newest intact one and still ends with the uninterrupted run's weights and cache), and a resume
   * with another seed is refused, naming the field.
   */
  @Test
  void resumeSkipsADamagedCheckpointAndChecksTheRun(@TempDir Path dir) throws Exception {
    byte[] bytes = randomBytes(2);
    Path file = dir.resolve("corpus.bin");
    Files.write(file, bytes);
    OptimizerSpec opt = optimizer();
    try (ByteCorpus c = ByteCorpus.open(file)) {
      ByteCorpus.Range range = new ByteCorpus.Range(0, bytes.length);
      Map<String, double[]> whole;
      double[] wholeCache;
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, null)) {
        t.train(5, 5, 1, null);
        whole = t.weights();
        wholeCache = t.cache();
      }
      Path run = dir.resolve("b");
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, run)) {
        t.train(4, 2, 3, null); // checkpoints at steps 2 and 4
      }
      Path newest = run.resolve(RunFolder.CHECKPOINTS).resolve("ckpt-4.safetensors");
      byte[] damaged = Files.readAllBytes(newest);
      damaged[damaged.length - 1] ^= 0x10; // a bit of the last tensor's data
      Files.write(newest, damaged);
      IllegalArgumentException other = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> new TruncatedBpttTrainer<>(spec(), opt, new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK,
              TFloat32.class, 8, run).close());
      assertTrue(other.getMessage().contains("seed is 7") && other.getMessage().contains("this run's is 8"),
          other.getMessage());
      try (TruncatedBpttTrainer<TFloat32> t = new TruncatedBpttTrainer<>(spec(), opt,
          new BpttStreams(c, range, LANES, BLOCK, ids()), LANES, BLOCK, TFloat32.class, 7, run)) {
        assertEquals(2, t.step());
        t.train(5, 5, 3, null);
        for (Map.Entry<String, double[]> e : t.weights().entrySet()) {
          assertArrayEquals(whole.get(e.getKey()), e.getValue(), 0.0, e.getKey());
        }
        assertArrayEquals(wholeCache, t.cache(), 0.0, "cache");
      }
    }
  }
}
