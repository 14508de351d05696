package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.data.Dataset;
import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.data.images.SyntheticImages;
import io.longshort.export.SavedModelWriter;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;

/**
 * Image training with recomputation ({@code train-image --recompute}, {@code ImageTrainer}'s
 * {@code recompute}, {@code Trainer.builder(Model.of(visionSpec)).optRecompute(true)}): a run resumed
 * with it from a plain run's checkpoint, and a recomputing run that accumulates gradients, end with
 * the plain uninterrupted run's weights; the command prints the plain run's losses. The graph-level
 * check of the gradients (float64, 1e-6) is {@code io.longshort.compile.VisionRecomputeTest}.
 *
 * <p>Image training is float32 only, so the runs here are float32, and their gradients differ from
 * the plain run's by float32 rounding (the rebuilt block's gradient sums are taken in another
 * order). They train with SGD and momentum, whose update moves each weight by the gradient times the
 * learning rate: a difference of 1e-7 in a gradient stays near 1e-8 in the weights. (AdamW's
 * m / sqrt(v) does not: for a gradient near zero, rounding changes the update by up to the learning
 * rate, so AdamW runs would compare the optimizer, not the recomputation.)
 */
class ImageRecomputeTest {
  /** A few SGD updates' worth of float32 gradient rounding, and the weights' own rounding (order 1e-7). */
  private static final double FLOAT32_TOLERANCE = 1e-6;

  @TempDir
  Path dir;

  private static double largestDifference(Map<String, double[]> a, Map<String, double[]> b) {
    assertEquals(a.keySet(), b.keySet());
    double worst = 0;
    for (Map.Entry<String, double[]> e : a.entrySet()) {
      double[] x = e.getValue();
      double[] y = b.get(e.getKey());
      assertEquals(x.length, y.length, e.getKey());
      for (int i = 0; i < x.length; i++) {
        worst = Math.max(worst, Math.abs(x[i] - y[i]));
      }
    }
    return worst;
  }

  private static Map<String, double[]> checkpoint(Path file) throws IOException {
    Map<String, double[]> w = new LinkedHashMap<>();
    try (Safetensors f = Safetensors.open(file)) {
      for (String name : f.names()) {
        w.put(name, f.readDoubles(name));
      }
    }
    return w;
  }

  private static Map<String, double[]> weights(VisionModelGraph<?> g) {
    return weights(g.parameters().list(), g.session());
  }

  private static Map<String, double[]> weights(List<? extends Parameter<?>> params, org.tensorflow.Session session) {
    Map<String, double[]> w = new LinkedHashMap<>();
    for (Parameter<?> p : params) {
      try (var r = session.runner().fetch(p.value()).run()) {
        w.put(p.name(), HostTensors.toDoubles(r.get(0)));
      }
    }
    return w;
  }

  /**
   * 5 plain steps, then resumed with recomputation to step 8: the weights and optimizer state of the
   * uninterrupted plain run's step-8 checkpoint.
   */
  @Test
  void resumedWithRecomputeFromAPlainCheckpointEndsAtThePlainRunsState() throws IOException {
    VisionSpec spec = ImageTrainerTest.small(2);
    ImageSet train = SyntheticImages.generate(2, 64, 16, 1);
    ImageSet eval = SyntheticImages.generate(2, 16, 16, 2);
    OptimizerSpec opt = sgd(1);
    Path straight = dir.resolve("straight");
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), straight, 3, 5)) {
      t.train(train, eval, 8, 4, new ImageTrainer.Listener() {});
    }
    Path resumed = dir.resolve("resumed");
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), resumed, 3, 5, null, false)) {
      t.train(train, eval, 5, 4, new ImageTrainer.Listener() {});
    }
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), resumed, 3, 5, null, true)) {
      assertTrue(t.graph().recompute(), "the resumed run recomputes");
      assertEquals(5, t.updates(), "resumed where the plain run stopped");
      t.train(train, eval, 8, 4, new ImageTrainer.Listener() {});
    }
    Map<String, double[]> plain = checkpoint(straight.resolve("checkpoints/ckpt-8.safetensors"));
    Map<String, double[]> mixed = checkpoint(resumed.resolve("checkpoints/ckpt-8.safetensors"));
    assertTrue(plain.keySet().stream().anyMatch(n -> n.startsWith("optimizer/")), "optimizer state is checkpointed");
    double worst = largestDifference(plain, mixed);
    assertTrue(worst <= FLOAT32_TOLERANCE, "largest difference " + worst);
  }

  /**
   * Through the front door, with 2 accumulated micro-batches per update: a recomputing run stopped
   * at step 2 (a plain run's checkpoint) and resumed with recomputation ends at the plain
   * uninterrupted run's weights.
   */
  @Test
  void recomputeAccumulatesAndResumesThroughTheFrontDoor() throws IOException {
    Dataset train = Dataset.images(SyntheticImages.generate(2, 64, 16, 1), new Augmenter(2, true, 0));
    Dataset valid = Dataset.images(SyntheticImages.generate(2, 16, 16, 2));
    Map<String, double[]> straight;
    try (Trainer<?> t = frontDoor(dir.resolve("straight"), 4, false)) {
      t.fit(train, valid);
      straight = weights(t.model().parameters().list(), t.model().session());
    }
    Path run = dir.resolve("resumed");
    try (Trainer<?> t = frontDoor(run, 2, false)) {
      assertEquals(2, t.fit(train, valid).steps());
    }
    Map<String, double[]> resumed;
    try (Trainer<?> t = frontDoor(run, 4, true)) {
      assertEquals(2, t.step(), "resumed from the plain run's step-2 checkpoint");
      assertTrue(((VisionModelGraph<?>) t.model()).recompute(), "Model.Build's recompute reaches the graph");
      t.fit(train, valid);
      resumed = weights((VisionModelGraph<?>) t.model());
    }
    double worst = largestDifference(straight, resumed);
    assertTrue(worst <= FLOAT32_TOLERANCE, "largest difference " + worst);
  }

  private static Trainer<?> frontDoor(Path run, long steps, boolean recompute) throws IOException {
    return Trainer.builder(Model.of(ImageTrainerTest.small(2)))
        .setOptimizer(sgd(2))
        .setBatchSize(8).setSteps(steps).optSeed(3).optEvalEvery(2).optCheckpointEvery(2).optRunDir(run)
        .optProgress(false).optRecompute(recompute).build();
  }

  /** SGD with momentum over k accumulated micro-batches per update (as TruncatedBpttTrainerTest's). */
  private static OptimizerSpec sgd(int k) {
    return Sgd.builder().setLearningRate(0.1).optEpsilon(1e-8).optMomentum(0.9)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optTotalSteps(100).optAccumulationSteps(k).build();
  }

  @Test
  void xlaIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Trainer.builder(Model.of(ImageTrainerTest.small(2))).setOptimizer(AdamW.builder().setLearningRate(1e-3))
            .setBatchSize(8).setSteps(2).optRecompute(true).optXla(true).build());
    assertEquals("--recompute does not combine with --xla: the compiled step would rebuild each block inside its"
        + " function; train with one of them", e.getMessage());
  }

  /** {@code train-image --recompute} prints the plain run's losses and held-out accuracy. */
  @Test
  void trainImageRecomputePrintsThePlainRunsLosses() throws IOException {
    Path model = dir.resolve("small.json");
    Files.writeString(model, ImageTrainerTest.small(2).toJson());
    String plain = trainImage(model);
    String recomputed = trainImage(model, "--recompute");
    assertTrue(recomputed.startsWith("train-image: 64 training, 16 held-out images, 2 classes (chance 0.500), blocks"
        + " recomputed in the backward pass\n"), recomputed);
    List<String> plainLosses = plain.lines().filter(l -> l.startsWith("step ") || l.startsWith("eval ")).toList();
    List<String> recomputedLosses = recomputed.lines().filter(l -> l.startsWith("step ") || l.startsWith("eval "))
        .toList();
    assertEquals(4, plainLosses.size(), plain);
    // "step k loss x lr y (t s)": all but the seconds
    assertEquals(plainLosses.stream().map(l -> l.replaceAll(" \\(\\d+ s\\)$", "")).toList(),
        recomputedLosses.stream().map(l -> l.replaceAll(" \\(\\d+ s\\)$", "")).toList());
  }

  /**
   * A recomputing training graph exports as the plain one does: with the same weights ({@code --steps 0
   * --weights}: evaluate and export only), the two SavedModels reload and give the same logits.
   */
  @Test
  void trainImageRecomputeExportsTheSameModel() throws IOException {
    Path model = dir.resolve("small.json");
    Files.writeString(model, ImageTrainerTest.small(2).toJson());
    Path weights = dir.resolve("weights.safetensors");
    SafetensorsWriter w = new SafetensorsWriter();
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(ImageTrainerTest.small(2), TFloat32.class, 1, 42)) {
      weights(g).forEach((name, v) -> w.putFloats(name, g.parameters().get(name).shape(), v));
    }
    w.write(weights);
    Path plain = dir.resolve("plain");
    Path recomputed = dir.resolve("recomputed");
    String plainOut = trainImage(model, "--steps", "0", "--weights", weights.toString(), "--export", plain.toString());
    String recomputedOut = trainImage(model, "--steps", "0", "--weights", weights.toString(), "--export",
        recomputed.toString(), "--recompute");
    assertEquals(plainOut.lines().filter(l -> l.startsWith("held-out accuracy")).map(l -> l.replaceAll(", \\d+ s$", ""))
        .toList(), recomputedOut.lines().filter(l -> l.startsWith("held-out accuracy"))
        .map(l -> l.replaceAll(", \\d+ s$", "")).toList());
    ImageSet images = SyntheticImages.generate(2, 3, 16, 9);
    assertArrayEquals(servedLogits(plain, images), servedLogits(recomputed, images), 1e-5);
  }

  /** serving_default's logits of a reloaded SavedModel for {@code images}. */
  private static double[] servedLogits(Path savedModel, ImageSet images) {
    try (SavedModelBundle b = SavedModelBundle.load(savedModel.toString(), SavedModelWriter.TAG);
        TFloat32 in = TFloat32.tensorOf(Shape.of(images.size(), 16, 16, 3),
            org.tensorflow.ndarray.buffer.DataBuffers.of(images.pixels(), true, false))) {
      SignatureDef sig = b.metaGraphDef().getSignatureDefMap().get("serving_default");
      try (var r = b.session().runner().feed(sig.getInputsMap().get("images").getName(), in)
          .fetch(sig.getOutputsMap().get("logits").getName()).run()) {
        return HostTensors.toDoubles(r.get(0));
      }
    }
  }

  private static String trainImage(Path model, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("train-image", "--spec", model.toString(), "--train-size",
        "64", "--eval-size", "16", "--batch", "8", "--seed", "3", "--eval-every", "3"));
    if (!List.of(more).contains("--steps")) {
      args.addAll(List.of("--steps", "3"));
    }
    args.addAll(List.of(more));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args.toArray(String[]::new)), out + "\n" + err);
    return out.toString();
  }
}
