package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.data.Dataset;
import io.longshort.data.images.Augmenter;
import io.longshort.data.images.SyntheticImages;
import io.longshort.export.Export;
import io.longshort.export.SavedModelWriter;
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
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
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

    // the run's export rebuilds the model from its metadata and loads the best checkpoint: the served
    // graph's accuracy on the evaluated rows (4 batches of 8, in order) is the one best.json records
    Path version = Export.fromRun(run).to(dir.resolve("savedmodels"), "front_door");
    double best = new ObjectMapper().readTree(run.resolve(RunFolder.BEST_FILE).toFile()).get("value").asDouble();
    List<Example> rows = examples(7, 64).subList(0, 32);
    int n = TrainerTest.N;
    int[] ids = new int[rows.size() * n];
    int[] mask = new int[rows.size() * n];
    for (int r = 0; r < rows.size(); r++) {
      int[] t = rows.get(r).ids();
      for (int i = 0; i < t.length; i++) {
        ids[r * n + i] = t[i];
        mask[r * n + i] = 1;
      }
    }
    try (SavedModelBundle bundle = SavedModelBundle.load(version.toString(), SavedModelWriter.TAG);
        Tensor idsT = HostTensors.ints(new long[] {rows.size(), n}, ids);
        Tensor maskT = HostTensors.ints(new long[] {rows.size(), n}, mask)) {
      SignatureDef sig = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      try (var out = bundle.session().runner().feed(sig.getInputsMap().get("input_ids").getName(), idsT)
          .feed(sig.getInputsMap().get("mask").getName(), maskT).fetch(sig.getOutputsMap().get("logits").getName())
          .run()) {
        double[] logits = HostTensors.toDoubles(out.get(0));
        int correct = 0;
        for (int r = 0; r < rows.size(); r++) {
          correct += (logits[2 * r + 1] > logits[2 * r] ? 1 : 0) == rows.get(r).label() ? 1 : 0;
        }
        assertEquals(best, (double) correct / rows.size(), 1e-9, "accuracy of the served best checkpoint");
      }
    }
  }

  /** A vision model through the same door: fit on images, then exported from its run folder alone. */
  @Test
  void visionModelsFitAndExportFromTheirRun() throws IOException {
    Path run = dir.resolve("vision");
    try (Trainer<?> t = Trainer.builder(Model.of(ImageTrainerTest.small(2)))
        .setOptimizer(AdamW.builder().setLearningRate(2e-3).optEpsilon(1e-8).optWeightDecay(0.01)
            .optSchedule(OptimizerSpec.Schedule.COSINE).optWarmup(8))
        .setBatchSize(16).setSteps(80).optRunDir(run).optProgress(false).build()) {
      TrainingResult r = t.fit(Dataset.images(SyntheticImages.generate(2, 256, 16, 1), new Augmenter(2, true, 0)),
          Dataset.images(SyntheticImages.generate(2, 100, 16, 2)));
      // ImageTrainerTest's bar for the same model, optimizer and data
      assertTrue(r.lastEval().accuracy() >= 0.8, "held-out accuracy " + r.lastEval().accuracy() + " (chance 0.5)");
    }
    Path version = Export.fromRun(run).optCheckpoint("latest").to(dir.resolve("savedmodels"), "vision");
    assertTrue(Files.isRegularFile(version.resolve("saved_model.pb")), "saved_model.pb");
    assertTrue(Files.isRegularFile(version.resolve("variables/variables.index")), "variables");
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
