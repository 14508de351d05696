package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.Dataset;
import io.longshort.data.Example;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door: {@code Trainer.builder(Model.of(spec))...fit(train, valid)} learns, derives the
 * run's metadata from the spec, the optimizer and the seed, and a run stopped part-way and fitted
 * again resumes to the weights of an uninterrupted one.
 */
class FrontDoorTest {
  @TempDir
  Path dir;

  /** TrainerTest's task as examples: label 1 iff token 3 outnumbers token 4; lengths 8..16. */
  static List<Example> examples(long seed, int count) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Example> list = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      byte[] ids = new byte[8 + rnd.nextInt(TrainerTest.N - 7)];
      int diff = 0;
      for (int t = 0; t < ids.length; t++) {
        ids[t] = (byte) (1 + rnd.nextInt(6));
        diff += ids[t] == 3 ? 1 : ids[t] == 4 ? -1 : 0;
      }
      list.add(Example.listOps(ids, diff > 0 ? 1 : 0));
    }
    return list;
  }

  static Trainer.Builder trainer(Path run, long steps) {
    return Trainer.builder(Model.of(TrainerTest.MODEL))
        .setOptimizer(AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(5))
        .setBatchSize(TrainerTest.B).setSteps(steps).optSeed(42).optEvalEvery(10).optEvalBatches(4)
        .optCheckpointEvery(10).optKeepCheckpoints(2).optRunDir(run).optProgress(false);
  }

  private static Map<String, double[]> weights(Trainer<?> t) {
    Map<String, double[]> w = new LinkedHashMap<>();
    for (Parameter<?> p : t.model().parameters().list()) {
      try (var r = t.model().session().runner().fetch(p.value()).run()) {
        w.put(p.name(), HostTensors.toDoubles(r.get(0)));
      }
    }
    return w;
  }

  @Test
  void fitLearnsAndRecordsTheRunFromTheModelOptimizerAndSeed() throws IOException {
    Path run = dir.resolve("run");
    Dataset train = Dataset.of(examples(1, 400));
    Dataset valid = Dataset.of(examples(7, 64));
    List<Long> evaluated = new ArrayList<>();
    try (Trainer<?> t = trainer(run, 60).optListener(new TrainingListener() {
      @Override
      public void evaluated(long step, TrainingLoop.Metrics metrics) {
        evaluated.add(step);
      }
    }).build()) {
      TrainingLoop.Metrics before = t.evaluate(valid);
      TrainingResult result = t.fit(train, valid);
      assertEquals(60, result.steps());
      assertEquals(List.of(10L, 20L, 30L, 40L, 50L, 60L), evaluated, "the user's listener hears every evaluation");
      assertTrue(result.lastEval().accuracy() > 0.75 && result.lastEval().loss() < before.loss(),
          "valid accuracy " + result.lastEval().accuracy() + ", loss " + before.loss() + " -> " + result.lastEval().loss());
    }
    Path last = run.resolve("checkpoints").resolve("ckpt-60.safetensors");
    Checkpoints.verify(last); // checksummed
    try (Safetensors st = Safetensors.open(last)) {
      Map<String, String> m = st.metadata();
      assertEquals(TrainerTest.MODEL.toJson(), m.get("model"));
      assertEquals(AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(5).buildFor(60).toJson(),
          m.get("optimizer"), "the optimizer's schedule spans the run's steps");
      assertEquals("42", m.get("seed"));
      assertEquals("tokens", m.get(Trainer.FAMILY));
    }
    assertTrue(Files.isDirectory(run.resolve(RunFolder.BEST_DIR)), "best/");
    try (var files = Files.list(run)) {
      assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("events.out.tfevents.")), "events");
    }
  }

  @Test
  void aRunFittedAgainResumesToTheWeightsOfAnUninterruptedOne() throws IOException {
    Dataset train = Dataset.of(examples(1, 400));
    Dataset valid = Dataset.of(examples(7, 64));
    // the schedule spans 20 steps in both runs: the optimizer is part of the run's identity
    OptimizerBuilder adamw = AdamW.builder().setLearningRate(3e-3).optWarmup(5).optTotalSteps(20);
    Map<String, double[]> straight;
    try (Trainer<?> t = trainer(dir.resolve("straight"), 20).setOptimizer(adamw).build()) {
      t.fit(train, valid);
      straight = weights(t);
    }
    Path run = dir.resolve("resumed");
    try (Trainer<?> t = trainer(run, 10).setOptimizer(adamw).build()) {
      assertEquals(10, t.fit(train, valid).steps());
    }
    Map<String, double[]> resumed;
    try (Trainer<?> t = trainer(run, 20).setOptimizer(adamw).build()) {
      assertEquals(10, t.step(), "resumed from the checkpoint of step 10");
      t.fit(train, valid);
      resumed = weights(t);
    }
    assertEquals(straight.keySet(), resumed.keySet());
    for (String name : straight.keySet()) {
      assertArrayEquals(straight.get(name), resumed.get(name), 1e-6, name);
    }
  }

  @Test
  void buildNamesWhatIsMissingOrWrong() {
    Model<?> model = Model.of(TrainerTest.MODEL);
    assertEquals("Trainer: the optimizer is required (setOptimizer)", assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(model).setSteps(10).setBatchSize(8).build()).getMessage());
    assertEquals("TrainConfig: steps is required (setSteps)", assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(model).setOptimizer(Sgd.builder().setLearningRate(0.1)).setBatchSize(8).build())
        .getMessage());
    assertEquals("length (17) must be in 1..16 for this model", assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(model).setOptimizer(Sgd.builder().setLearningRate(0.1)).setBatchSize(8).setSteps(1)
            .optLength(17).build()).getMessage());
  }
}
