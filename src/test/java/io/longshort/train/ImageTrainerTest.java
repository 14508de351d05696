package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.data.images.SyntheticImages;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.ImageAttentionSpec;
import io.longshort.spec.VisionSpec;
import io.longshort.spec.VisionStage;
import io.longshort.weights.SafetensorsWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/** Training image classifiers: learning, determinism, and the train-image command with export. */
class ImageTrainerTest {
  @TempDir
  Path dir;

  /** 16 x 16 images -> 8 x 8 long-short grid (w 3: padded windows) -> 4 x 4 full attention. */
  static VisionSpec small(int classes) {
    return new VisionSpec(16, 3, classes, 2.0, 1e-6, List.of(
        new VisionStage(2, 1, ImageAttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(3).setRank(2)
            .optGlobalTokens(1).build()),
        new VisionStage(2, 1, ImageAttentionSpec.full().setWidth(32).setHeads(2).build())));
  }

  static OptimizerSpec adamw(int steps) {
    return AdamW.builder().setLearningRate(2e-3).optEpsilon(1e-8).optWeightDecay(0.01)
        .optSchedule(OptimizerSpec.Schedule.COSINE).optWarmup(steps / 10).optTotalSteps(steps).build();
  }

  /**
   * 80 steps on two stripe orientations reach >= 80 % held-out accuracy (chance 50 %), and a second
   * trainer with the same seed repeats the first steps' losses exactly (same weights, batches, crops).
   */
  @Test
  void learnsStripeOrientationWellAboveChanceAndRepeatsWithTheSameSeed() {
    VisionSpec spec = small(2);
    ImageSet train = SyntheticImages.generate(2, 256, 16, 1);
    ImageSet eval = SyntheticImages.generate(2, 100, 16, 2);
    double[] firstLosses = new double[3];
    try (ImageTrainer t = new ImageTrainer(spec, adamw(80), 16, 0, new Augmenter(2, true, 0))) {
      ImageTrainer.Metrics before = t.evaluate(eval);
      ImageTrainer.Metrics after = t.train(train, eval, 80, 0, new ImageTrainer.Listener() {
        @Override
        public void step(long step, double loss, double learningRate) {
          if (step < 3) {
            firstLosses[(int) step] = loss;
          }
        }
      });
      assertTrue(after.loss() < before.loss(), before + " -> " + after);
      assertTrue(after.accuracy() >= 0.8, "held-out accuracy " + after.accuracy() + " (chance 0.5)");
    }
    try (ImageTrainer again = new ImageTrainer(spec, adamw(80), 16, 0, new Augmenter(2, true, 0))) {
      for (int step = 0; step < 3; step++) {
        assertEquals(firstLosses[step], again.step(train, step)[0], 0.0, "step " + step);
      }
    }
  }

  @Test
  void trainImageCommandTrainsAndExports() throws Exception {
    Path model = dir.resolve("small.json");
    Files.writeString(model, small(2).toJson());
    // weights by state_dict name, plus a buffer no parameter takes (as in the authors' checkpoints)
    Path weights = dir.resolve("weights.safetensors");
    SafetensorsWriter w = new SafetensorsWriter().putLongs("layer1.1.attn.relative_position_index", new long[] {1},
        new long[] {0});
    int count;
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(small(2), TFloat32.class, 1, 42)) {
      count = g.parameters().list().size();
      for (Parameter<TFloat32> p : g.parameters().list()) {
        try (var r = g.session().runner().fetch(p.value()).run()) {
          w.putFloats(p.name(), p.shape(), HostTensors.toDoubles(r.get(0)));
        }
      }
    }
    w.write(weights);
    Path export = dir.resolve("exported");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("train-image", "--spec", model.toString(), "--train-size", "64", "--eval-size", "20",
        "--steps", "4", "--batch", "8", "--export", export.toString(), "--weights", weights.toString());
    assertEquals(0, code, out + "\n" + err);
    assertTrue(out.toString().contains("loaded " + count + " parameters from " + weights
        + "; unused tensors: [layer1.1.attn.relative_position_index]"), out.toString());
    assertTrue(out.toString().contains("held-out accuracy"), out.toString());
    assertTrue(Files.isRegularFile(export.resolve("saved_model.pb")));
    assertTrue(Files.isDirectory(export.resolve("variables")));

    code = cli.execute("train-image", "--spec", model.toString(), "--data", "imagenet");
    assertEquals(2, code);
    assertTrue(err.toString().contains("--data (\"imagenet\")"), err.toString());
  }
}
