package io.longshort.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.BatchKind;
import io.longshort.data.BatchSource;
import io.longshort.data.Batcher;
import io.longshort.data.Example;
import io.longshort.data.ExampleList;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingListener;
import io.longshort.train.TrainingLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.types.TFloat32;

/**
 * A distributed run validates as it goes: its validation metrics (the chief's forward pass on
 * shards of S rows of each validation batch, padding rows left out) reach the listener and
 * TensorBoard, and equal a single process's evaluation of the same checkpoint.
 */
class DistributedValidationTest {
  @TempDir
  Path dir;

  /** 20 examples in batches of B = 8: the last batch has 4 real rows and 4 padding rows. */
  static BatchSource validation() {
    SplittableRandom rnd = new SplittableRandom(9);
    List<Example> list = new ArrayList<>();
    for (int e = 0; e < 20; e++) {
      byte[] ids = new byte[8 + rnd.nextInt(DistributedTrainingTest.N - 7)];
      int diff = 0;
      for (int t = 0; t < ids.length; t++) {
        ids[t] = (byte) (1 + rnd.nextInt(6));
        diff += ids[t] == 3 ? 1 : ids[t] == 4 ? -1 : 0;
      }
      list.add(Example.listOps(ids, diff > 0 ? 1 : 0));
    }
    return BatchSource.of(Batcher.builder(new ExampleList(list), BatchKind.CLASSIFICATION)
        .batchSize(DistributedTrainingTest.B).length(DistributedTrainingTest.N).build());
  }

  @Test
  void validationMetricsReachTensorBoardAndMatchASingleProcess() throws Exception {
    TrainConfig config = DistributedTrainingTest.CONFIG.toBuilder().optEvalEvery(3).optEvalBatches(0).build();
    Path run = dir.resolve("distributed");
    Map<Long, TrainingLoop.Metrics> seen = new LinkedHashMap<>();
    try (LocalCluster cluster = new LocalCluster(2, dir);
        DistributedTrainer t = new DistributedTrainer(DistributedTrainingTest.MODEL, DistributedTrainingTest.OPTIMIZER,
            config, cluster.chief(), run, 60_000)) {
      t.train(DistributedTrainingTest.data(), validation(), new TrainingListener() {
        @Override
        public void evaluated(long step, TrainingLoop.Metrics m) {
          seen.put(step, m);
        }
      });
    }
    assertEquals(List.of(3L, 6L), List.copyOf(seen.keySet()));
    assertEquals(20, seen.get(6L).rows(), "padding rows are left out");
    Path events;
    try (var files = Files.list(run)) {
      events = files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).findFirst().orElseThrow();
    }
    Map<String, List<Long>> steps = new LinkedHashMap<>();
    double lastLoss = Double.NaN;
    for (Event e : io.longshort.train.TrainerTestAccess.readEvents(events)) {
      if (e.hasSummary()) {
        String tag = e.getSummary().getValue(0).getTag();
        steps.computeIfAbsent(tag, k -> new ArrayList<>()).add(e.getStep());
        if (tag.equals("valid/loss") && e.getStep() == 6) {
          lastLoss = e.getSummary().getValue(0).getSimpleValue();
        }
      }
    }
    assertEquals(List.of(3L, 6L), steps.get("valid/loss"), "valid/loss in TensorBoard: " + steps.keySet());
    assertEquals(List.of(3L, 6L), steps.get("valid/accuracy"));
    assertEquals(seen.get(6L).loss(), lastLoss, 1e-6, "the events hold the listener's value (as float32)");

    // one process evaluating the distributed run's last checkpoint on the same batches
    Path single = dir.resolve("single");
    Files.createDirectories(single.resolve("checkpoints"));
    Files.copy(run.resolve("checkpoints/ckpt-6.safetensors"), single.resolve("checkpoints/ckpt-6.safetensors"),
        StandardCopyOption.COPY_ATTRIBUTES);
    try (Trainer<TFloat32> t = new Trainer<>(DistributedTrainingTest.MODEL, DistributedTrainingTest.OPTIMIZER, config,
        TFloat32.class, single)) {
      assertEquals(6, t.step());
      TrainingLoop.Metrics m = t.evaluate(validation(), 0);
      assertEquals(m.rows(), seen.get(6L).rows());
      assertEquals(m.loss(), seen.get(6L).loss(), 1e-5, "validation loss");
      assertEquals(m.accuracy(), seen.get(6L).accuracy(), 1e-12, "validation accuracy");
    }
    assertTrue(seen.get(6L).loss() < seen.get(3L).loss() + 0.5);
  }
}
