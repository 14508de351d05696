package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.BatchKind;
import io.longshort.data.BatchSource;
import io.longshort.data.Batcher;
import io.longshort.data.Example;
import io.longshort.data.ExampleList;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.types.TFloat32;

class TrainerTest {
  @TempDir
  Path dir;

  static final int B = 8;
  static final int N = 16;
  static final ModelSpec MODEL = ModelSpec.classifier().setVocabSize(8).setMaxLength(N).setWidth(16).setLayers(1)
      .setHiddenWidth(32).setAttention(AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4).setRank(2).build())
      .setClasses(2).optPooling(Pooling.MEAN).optDropout(0.1).build();

  /** label = 1 iff token 3 occurs more often than token 4; lengths 8..16, shuffled per (seed, epoch). */
  static BatchSource task(long seed, int examples) {
    return task(seed, examples, B);
  }

  static BatchSource task(long seed, int examples, int batch) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Example> list = new java.util.ArrayList<>();
    for (int e = 0; e < examples; e++) {
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
        .batchSize(batch).length(N).shuffle(seed).build());
  }

  static OptimizerSpec optimizer(int total) {
    return AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(5).optTotalSteps(total)
        .optClipNorm(1.0).build();
  }

  static TrainConfig config(long steps) {
    return TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(steps).optSeed(42).optEvalEvery(10).optEvalBatches(4).optCheckpointEvery(5).optKeepCheckpoints(2).optEarlyStopPatience(0).build();
  }

  private static Map<String, double[]> weights(Trainer<TFloat32> t) {
    Map<String, double[]> w = new LinkedHashMap<>();
    for (Parameter<TFloat32> p : t.graph().parameters().list()) {
      try (var r = t.graph().session().runner().fetch(p.value()).run()) {
        w.put(p.name(), HostTensors.toDoubles(r.get(0)));
      }
    }
    return w;
  }

  @Test
  void learnsASimpleTaskAndLogsForTensorBoard() throws IOException {
    Path run = dir.resolve("run");
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, optimizer(60), config(60), TFloat32.class, run)) {
      TrainingLoop.Metrics before = t.evaluate(task(7, 64), 0);
      TrainingResult result = t.train(task(1, 400), task(7, 64), new TrainingListener() {});
      assertEquals(60, result.steps());
      assertTrue(result.lastEval().accuracy() > 0.75 && result.lastEval().loss() < before.loss(),
          "valid accuracy " + result.lastEval().accuracy() + ", loss " + before.loss() + " -> " + result.lastEval().loss());
    }
    assertEquals(List.of("ckpt-55.safetensors", "ckpt-60.safetensors"),
        Checkpoints.list(run.resolve("checkpoints")).stream().map(p -> p.getFileName().toString()).toList());
    Path eventsFile;
    try (var files = Files.list(run)) {
      eventsFile = files.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).findFirst().orElseThrow();
    }
    List<Event> events = readEvents(eventsFile);
    assertEquals("brain.Event:2", events.get(0).getFileVersion());
    assertTrue(events.stream().anyMatch(Event::hasGraphDef), "graph event");
    assertEquals(60, events.stream().filter(e -> e.hasSummary() && e.getSummary().getValue(0).getTag().equals("loss")).count());
    assertTrue(events.stream().anyMatch(e -> e.hasSummary() && e.getSummary().getValue(0).getTag().equals("valid/accuracy")));
  }

  /** Stopped after 7 steps and resumed = 12 steps in one go, weights within 1e-6. */
  /**
   * Gradient accumulation: 2 micro-batches of 4 per update give the updates of batches of 8 (the
   * same examples; SGD and no dropout, so only float rounding differs), every micro-batch's
   * gradients included.
   */
  @Test
  void accumulatedMicroBatchesGiveTheWholeBatchsUpdates() throws IOException {
    ModelSpec model = MODEL.toBuilder().optDropout(0).build();
    Map<String, double[]> whole;
    Map<String, double[]> accumulated;
    try (Trainer<TFloat32> t = new Trainer<>(model, sgd(1), TrainConfig.builder().setBatchSize(B).setLength(N)
        .setSteps(4).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).build(),
        TFloat32.class, dir.resolve("whole"))) {
      t.train(task(1, 40, B), null, new TrainingListener() {});
      whole = weights(t);
    }
    try (Trainer<TFloat32> t = new Trainer<>(model, sgd(2), TrainConfig.builder().setBatchSize(B / 2).setLength(N)
        .setSteps(4).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).build(),
        TFloat32.class, dir.resolve("accumulated"))) {
      t.train(task(1, 40, B / 2), null, new TrainingListener() {});
      accumulated = weights(t);
    }
    for (String name : whole.keySet()) {
      double[] a = whole.get(name);
      double[] b = accumulated.get(name);
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-5, name + "[" + i + "]");
      }
    }
  }

  static OptimizerSpec sgd(int accumulationSteps) {
    return Sgd.builder().setLearningRate(0.3).optMomentum(0.9).optSchedule(OptimizerSpec.Schedule.CONSTANT)
        .optTotalSteps(100).optAccumulationSteps(accumulationSteps).build();
  }

  @Test
  void resumedRunEqualsUninterruptedRun() throws IOException {
    Map<String, double[]> straight;
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, optimizer(12), TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(12).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(),
        TFloat32.class, dir.resolve("straight"))) {
      t.train(task(1, 40), null, new TrainingListener() {});
      straight = weights(t);
    }
    Path resumed = dir.resolve("resumed");
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, optimizer(12), TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(7).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(),
        TFloat32.class, resumed)) {
      t.train(task(1, 40), null, new TrainingListener() {});
    }
    try (Trainer<TFloat32> t = new Trainer<>(MODEL, optimizer(12), TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(12).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(),
        TFloat32.class, resumed)) {
      assertEquals(7, t.step());
      t.train(task(1, 40), null, new TrainingListener() {});
      Map<String, double[]> again = weights(t);
      for (String name : straight.keySet()) {
        double[] a = straight.get(name);
        double[] b = again.get(name);
        for (int i = 0; i < a.length; i++) {
          assertEquals(a[i], b[i], 1e-6, name + "[" + i + "]");
        }
      }
    }
  }

  /** Reads a TFRecord file of Events, checking both CRCs of every record. */
  static List<Event> readEvents(Path file) throws IOException {
    List<Event> out = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
      byte[] header = new byte[12];
      while (data.read(header, 0, 1) == 1) {
        data.readFully(header, 1, 11);
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long length = h.getLong();
        assertEquals(io.longshort.io.TfRecords.maskedCrc32c(header, 0, 8), h.getInt(), "length CRC");
        byte[] body = new byte[(int) length];
        data.readFully(body);
        byte[] crc = new byte[4];
        data.readFully(crc);
        assertEquals(io.longshort.io.TfRecords.maskedCrc32c(body, 0, body.length), ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt(),
            "data CRC");
        out.add(Event.parseFrom(body));
      }
    }
    return out;
  }
}
