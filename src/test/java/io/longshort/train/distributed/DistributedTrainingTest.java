package io.longshort.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.BatchKind;
import io.longshort.data.BatchSource;
import io.longshort.data.Batcher;
import io.longshort.data.Example;
import io.longshort.data.ExampleList;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.train.AdamW;
import io.longshort.train.Checkpoints;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingListener;
import io.longshort.train.TrainingResult;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * Synchronous data-parallel training on TensorFlow's distributed runtime: two worker processes on
 * loopback ports, the training loop in this JVM. Two workers on shards of 4 end with the weights
 * (and optimizer state) of one process on the combined batch of 8, in checkpoints a single-process
 * run resumes from; a worker killed mid-run stops
 * the job with a clear error, and a restarted job resumes from the newest checkpoint and ends
 * where an uninterrupted run does.
 */
class DistributedTrainingTest {
  @TempDir
  static Path dir;
  /** Both tests share the workers (a JVM start each) and the single-process reference run. */
  static LocalCluster cluster;
  static Path single;

  static final int B = 8;
  static final int N = 16;
  static final int STEPS = 6;
  /** One layer, width 16; no dropout, so that shards see the masks of the combined batch (none). */
  static final ModelSpec MODEL = ModelSpec.classifier().setVocabSize(8).setMaxLength(N).setWidth(16).setLayers(1)
      .setHiddenWidth(32).setAttention(AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4).setRank(2).build())
      .setClasses(2).optPooling(Pooling.MEAN).optDropout(0).build();
  static final OptimizerSpec OPTIMIZER = AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(2)
      .optTotalSteps(STEPS).optClipNorm(1.0).build();
  static final TrainConfig CONFIG = TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(STEPS).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(2).optKeepCheckpoints(10).optEarlyStopPatience(0).build();

  /** label = 1 iff token 3 occurs more often than token 4; lengths 8..16 (padded rows differ per shard). */
  static BatchSource data() {
    SplittableRandom rnd = new SplittableRandom(1);
    List<Example> list = new ArrayList<>();
    for (int e = 0; e < 64; e++) {
      int len = 8 + rnd.nextInt(N - 7);
      byte[] ids = new byte[len];
      int diff = 0;
      for (int t = 0; t < len; t++) {
        int tok = 1 + rnd.nextInt(6);
        ids[t] = (byte) tok;
        diff += tok == 3 ? 1 : tok == 4 ? -1 : 0;
      }
      list.add(Example.listOps(ids, diff > 0 ? 1 : 0));
    }
    return BatchSource.of(Batcher.builder(new ExampleList(list), BatchKind.CLASSIFICATION)
        .batchSize(B).length(N).shuffle(1).build());
  }

  @BeforeAll
  static void start() throws IOException {
    cluster = new LocalCluster(2, dir);
    // the single-process run on the combined batch: its checkpoints of every second step
    Path run = dir.resolve("single");
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, OPTIMIZER, CONFIG, TFloat32.class, run)) {
      t.train(data(), null, new TrainingListener() {});
    }
    single = run.resolve("checkpoints");
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static void assertSameState(Path expected, Path actual) throws IOException {
    try (Safetensors a = Safetensors.open(expected); Safetensors b = Safetensors.open(actual)) {
      assertEquals(a.names(), b.names());
      for (String name : a.names()) {
        double[] x = a.readDoubles(name);
        double[] y = b.readDoubles(name);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
          worst = Math.max(worst, Math.abs(x[i] - y[i]));
        }
        assertTrue(worst <= 1e-5, name + ": differs by " + worst);
      }
    }
  }

  @Test
  void twoWorkersEqualOneProcessOnTheCombinedBatch() throws Exception {
    Path run = dir.resolve("distributed");
    try (DistributedTrainer t = new DistributedTrainer(MODEL, OPTIMIZER, CONFIG, cluster.chief(), run, 60_000)) {
      TrainingResult result = t.train(data(), new TrainingListener() {});
      assertEquals(STEPS, result.steps());
      Set<String> devices = t.devicesOfStep(data(), 0);
      assertTrue(devices.stream().anyMatch(d -> d.startsWith("/job:worker/replica:0/task:1/"))
          && devices.stream().anyMatch(d -> d.startsWith("/job:worker/replica:0/task:0/")), "ran on " + devices);
    }
    for (long s = 2; s <= STEPS; s += 2) {
      assertSameState(single.resolve("ckpt-" + s + ".safetensors"),
          run.resolve("checkpoints/ckpt-" + s + ".safetensors"));
    }
    try (var files = java.nio.file.Files.list(run)) {
      assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("events.out.tfevents.")
          && f.toFile().length() > 1000), "the chief writes TensorBoard events");
    }
    // same checkpoint format and metadata: a single-process run picks the distributed run up
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, OPTIMIZER, CONFIG, TFloat32.class, run)) {
      assertEquals(STEPS, t.step());
    }
  }

  @Test
  void aKilledWorkerStopsTheJobAndARestartResumesFromTheCheckpoint() throws Exception {
    Path run = dir.resolve("killed");
    try (DistributedTrainer t = new DistributedTrainer(MODEL, OPTIMIZER, CONFIG, cluster.chief(), run, 60_000)) {
      WorkerFailureException e = assertThrows(WorkerFailureException.class, () ->
          t.train(data(), new TrainingListener() {
            @Override
            public void checkpointed(long step, Path file) {
              if (step == 4) {
                try {
                  cluster.kill(1);
                } catch (InterruptedException ex) {
                  throw new IllegalStateException(ex);
                }
              }
            }
          }));
      assertTrue(e.getMessage().contains("at step 5: worker 1 (" + cluster.chief().workers().get(1) + ")")
          && e.getMessage().contains("resume from ckpt-4"), e.getMessage());
    }
    assertEquals(4, Checkpoints.step(Checkpoints.latest(run.resolve("checkpoints")).orElseThrow()),
        "nothing was written after the failure");

    // the restarted job: the worker comes back on its port, the chief resumes from ckpt-4
    cluster.start(1);
    cluster.awaitServing(1);
    try (DistributedTrainer t = new DistributedTrainer(MODEL, OPTIMIZER, CONFIG, cluster.chief(), run, 60_000)) {
      assertEquals(4, t.step(), "resumed from ckpt-4");
      t.train(data(), new TrainingListener() {});
    }
    // what was checkpointed before the failure (steps 1-4) carries on: the end equals the straight run
    for (long s = 2; s <= STEPS; s += 2) {
      assertSameState(single.resolve("ckpt-" + s + ".safetensors"),
          run.resolve("checkpoints/ckpt-" + s + ".safetensors"));
    }
  }
}
