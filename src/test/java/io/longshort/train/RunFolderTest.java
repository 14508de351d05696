package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.data.BatchSource;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * The run folder: what a resume with other settings says, the best checkpoint kept beside the
 * newest K and named by best.json, checkpoint names resolved for eval/export, divergence stopping
 * the run without checkpointing it, and no events file left by a run that failed at its start.
 */
class RunFolderTest {
  @TempDir
  Path dir;

  static final int B = TrainerTest.B;
  static final int N = TrainerTest.N;

  private static TrainConfig config(long steps, int evalEvery, int checkpointEvery, int keep) {
    return TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(steps).optSeed(42).optEvalEvery(evalEvery)
        .optEvalBatches(2).optCheckpointEvery(checkpointEvery).optKeepCheckpoints(keep).build();
  }

  @Test
  void raisingStepsOnAnExistingRunNamesTheFieldAndTheWayOut() throws IOException {
    Path run = dir.resolve("run");
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2),
        TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer<>(
        TrainerTest.MODEL, TrainerTest.optimizer(12), config(12, 100, 2, 2), TFloat32.class, run));
    String m = e.getMessage();
    assertTrue(m.contains("optimizer.totalSteps is 6 (ckpt-6.safetensors), this run's is 12"), m);
    assertTrue(m.contains("to resume it, give the same settings") && m.contains("use a new run folder"), m);
    // a folder that holds another run was not written to
    try (var files = Files.list(run)) {
      assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).count());
    }
  }

  @Test
  void aSecondTrainingOnTheFolderIsRefusedWhileTheFirstHoldsIt() throws IOException {
    Path run = dir.resolve("held");
    try (Trainer<TFloat32> first = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2),
        TFloat32.class, run)) {
      io.longshort.io.FolderLock.HeldException e = assertThrows(io.longshort.io.FolderLock.HeldException.class,
          () -> new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2), TFloat32.class, run));
      assertTrue(e.getMessage().startsWith("run folder " + run + " is in use by another writer (pid "
          + ProcessHandle.current().pid() + ", started "), e.getMessage());
      first.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
    }
    // released with the first: the next one resumes where it ended
    try (Trainer<TFloat32> next = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2),
        TFloat32.class, run)) {
      assertEquals(6, next.train(TrainerTest.task(1, 40), null, new TrainingListener() {}).steps());
    }
  }

  @Test
  void resumingOnOtherDataIsRefusedNamingBothFingerprints() throws IOException {
    Path run = dir.resolve("data");
    TrainConfig a = config(6, 100, 2, 2).toBuilder().optDataFingerprint("sha256:00000000000000aa").build();
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), a, TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
    }
    TrainConfig b = a.toBuilder().optDataFingerprint("sha256:00000000000000bb").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), b, TFloat32.class, run));
    assertEquals("run folder " + run + " was trained on other data: its data fingerprint is sha256:00000000000000aa"
        + " (ckpt-6.safetensors), this data's is sha256:00000000000000bb; to resume it, give the data it was started"
        + " with; to train on this data, use a new run folder", e.getMessage());
    // the same data resumes (the refused one released the folder)
    new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), a, TFloat32.class, run).close();
  }

  @Test
  void aRunFromBeforeDataFingerprintsResumesWithAWarning() throws IOException {
    Path run = dir.resolve("old");
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2),
        TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
    }
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream saved = System.err;
    System.setErr(new java.io.PrintStream(err, true));
    try {
      new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2).toBuilder()
          .optDataFingerprint("sha256:00000000000000cc").build(), TFloat32.class, run).close();
    } finally {
      System.setErr(saved);
    }
    assertTrue(err.toString().contains("warning: run folder " + run + ": ckpt-6.safetensors records no data"
        + " fingerprint (written before runs recorded one), so resuming cannot check that the data is the same;"
        + " this data is sha256:00000000000000cc"), err.toString());
  }

  /** A classifier keeps its best validation accuracy by default (the first of equals, as the authors' {@code >}). */
  @Test
  void aClassifierKeepsTheBestValidationAccuracyByDefault() throws IOException {
    Path run = dir.resolve("run");
    List<double[]> evals = new ArrayList<>();
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(40), config(40, 2, 4, 1),
        TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 400), TrainerTest.task(7, 32), new TrainingListener() {
        @Override
        public void evaluated(long step, TrainingLoop.Metrics m) {
          evals.add(new double[] {step, m.accuracy()});
        }
      });
    }
    double[] best = evals.get(0);
    for (double[] e : evals) {
      if (e[1] > best[1]) {
        best = e;
      }
    }
    JsonNode json = new ObjectMapper().readTree(run.resolve("best.json").toFile());
    assertEquals("valid/accuracy", json.get("metric").asText());
    assertEquals((long) best[0], json.get("step").asLong(), "best.json names the first step of the highest accuracy "
        + "among " + evals.stream().map(e -> (long) e[0] + ":" + e[1]).toList());
    assertEquals(best[1], json.get("value").asDouble(), 1e-12);
    assertEquals(run.resolve("best").resolve("ckpt-" + (long) best[0] + ".safetensors"),
        RunFolder.resolveCheckpoint(run, "best"));
  }

  /** best.json files from before the metric was recorded kept the lowest loss, and still read so. */
  @Test
  void anOldBestJsonWithoutAMetricReadsAsLoss() throws IOException {
    Path run = dir.resolve("run");
    Files.createDirectories(run);
    Files.writeString(run.resolve("best.json"), "{\"step\": 6, \"file\": \"ckpt-6.safetensors\", \"value\": 0.5}\n");
    try (RunFolder folder = RunFolder.open(run, java.util.Map.of(), List.of())) {
      assertEquals(new RunFolder.Best(6, "ckpt-6.safetensors", "valid/loss", 0.5), folder.best().orElseThrow());
    }
    // a classifier trained on in that folder keeps its best accuracy from then on, and says so
    java.io.PrintStream stderr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 2, 2, 1),
        TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 40), TrainerTest.task(7, 16), new TrainingListener() {});
    } finally {
      System.setErr(stderr);
    }
    assertTrue(captured.toString().contains("records the best valid/loss (step 6); this run keeps the best"
        + " valid/accuracy, so its next evaluation replaces that checkpoint"), captured.toString());
    assertEquals("valid/accuracy", new ObjectMapper().readTree(run.resolve("best.json").toFile()).get("metric").asText());
  }

  @Test
  void theBestCheckpointByLossIsKeptBesideTheNewestAndNamedByBestJson() throws IOException {
    Path run = dir.resolve("run");
    List<double[]> evals = new ArrayList<>();
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(40),
        config(40, 2, 4, 1).toBuilder().optBestMetric(BestMetric.LOSS).build(), TFloat32.class, run)) {
      t.train(TrainerTest.task(1, 400), TrainerTest.task(7, 32), new TrainingListener() {
        @Override
        public void evaluated(long step, TrainingLoop.Metrics m) {
          evals.add(new double[] {step, m.loss()});
        }
      });
    }
    double[] best = evals.stream().min((a, b) -> Double.compare(a[1], b[1])).orElseThrow();
    JsonNode json = new ObjectMapper().readTree(run.resolve("best.json").toFile());
    assertEquals((long) best[0], json.get("step").asLong(), "best.json names the step of the lowest validation loss");
    assertEquals("ckpt-" + (long) best[0] + ".safetensors", json.get("file").asText());
    assertEquals("valid/loss", json.get("metric").asText());
    assertEquals(best[1], json.get("value").asDouble(), 1e-12);
    assertEquals(List.of("ckpt-40.safetensors"), names(Checkpoints.list(run.resolve("checkpoints"))),
        "rotation keeps the newest K = 1");
    Path bestFile = RunFolder.resolveCheckpoint(run, "best");
    assertEquals(run.resolve("best").resolve("ckpt-" + (long) best[0] + ".safetensors"), bestFile);
    assertEquals(List.of(bestFile.getFileName().toString()), names(Checkpoints.list(run.resolve("best"))),
        "only the best is kept in best/");
    try (Safetensors st = Safetensors.open(bestFile)) {
      assertEquals(Long.toString((long) best[0]), st.metadata().get("step"));
    }
    assertEquals(run.resolve("checkpoints/ckpt-40.safetensors"), RunFolder.resolveCheckpoint(run, "latest"));
    assertEquals(run.resolve("checkpoints/ckpt-40.safetensors"), RunFolder.resolveCheckpoint(run, "40"));
    assertEquals(bestFile, RunFolder.resolveCheckpoint(run, bestFile.toString()));
    IOException gone = assertThrows(IOException.class, () -> RunFolder.resolveCheckpoint(run, "8"));
    assertTrue(gone.getMessage().contains("ckpt-8.safetensors does not exist")
        && gone.getMessage().contains("[ckpt-40.safetensors]"), gone.getMessage());
    IOException bad = assertThrows(IOException.class, () -> RunFolder.resolveCheckpoint(run, "bestest"));
    assertTrue(bad.getMessage().contains("'bestest' is not best, latest, a step number or an existing file"),
        bad.getMessage());
    IOException none = assertThrows(IOException.class, () -> RunFolder.resolveCheckpoint(dir.resolve("empty"), "best"));
    assertTrue(none.getMessage().contains("has no best.json"), none.getMessage());
  }

  @Test
  void aNonFiniteLossStopsTheRunAndNothingNonFiniteIsCheckpointed() throws IOException {
    Path run = dir.resolve("run");
    OptimizerSpec huge = AdamW.builder().setLearningRate(1e30).optWeightDecay(0.01)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optTotalSteps(40).build();
    TrainingDivergedException e;
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, huge, config(40, 100, 1, 2), TFloat32.class, run)) {
      e = assertThrows(TrainingDivergedException.class,
          () -> t.train(TrainerTest.task(1, 40), null, new TrainingListener() {}));
    }
    String m = e.getMessage();
    assertTrue(m.startsWith("training diverged at step " + e.step() + ": "), m);
    assertTrue(m.contains("not finite") || m.contains("NaN") || m.contains("Infinity"), m);
    assertTrue(m.contains("lower learning rate (--lr)") && m.contains("clipping"), m);
    List<Path> kept = Checkpoints.list(run.resolve("checkpoints"));
    assertTrue(e.step() == 1 || !kept.isEmpty(), "diverged at step " + e.step() + ", kept " + kept);
    if (!kept.isEmpty()) {
      assertTrue(m.contains(kept.get(kept.size() - 1).toString()), "names the last good checkpoint: " + m);
      assertTrue(Checkpoints.step(kept.get(kept.size() - 1)) < e.step());
    }
    for (Path c : kept) {
      try (Safetensors st = Safetensors.open(c)) {
        for (String name : st.names()) {
          for (double v : st.readDoubles(name)) {
            assertTrue(Double.isFinite(v), c.getFileName() + ": " + name + " = " + v);
          }
        }
      }
    }
  }

  @Test
  void aRunThatFailsAtItsFirstStepLeavesNoEventsFile() throws IOException {
    Path run = dir.resolve("run");
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(6), config(6, 100, 2, 2),
        TFloat32.class, run)) {
      // batches of another length than the graph's
      BatchSource wrong = BatchSource.of(io.longshort.data.Batcher.builder(
          new io.longshort.data.ExampleList(List.of(io.longshort.data.Example.listOps(new byte[] {1, 2}, 0))),
          io.longshort.data.BatchKind.CLASSIFICATION).batchSize(B).length(N + 1).shuffle(1).build());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.train(wrong, null, new TrainingListener() {}));
      assertTrue(e.getMessage().contains("batch of shape [8, 17] for 'input_ids'; the graph takes [8, 16]"),
          e.getMessage());
    }
    try (var files = Files.list(run)) {
      assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith("events.out")), "no events file");
    }
  }

  private static List<String> names(List<Path> files) {
    return files.stream().map(p -> p.getFileName().toString()).toList();
  }
}
