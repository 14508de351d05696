package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.data.images.ImageSet;
import io.longshort.data.images.SyntheticImages;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * An image classifier's SavedModel reloads in a fresh JVM (SavedModelBundle) with an
 * {@code images} input and signatures serving_default (logits, probabilities) and classify_ids
 * (scores, classes) that give what the graph computed.
 */
class ImageSavedModelExportTest {
  @TempDir
  Path dir;

  /** Plain and --xla (signatures calling must-compile functions) give the graph's outputs. */
  @Test
  void classifySignatureReloadsWithTheSameOutputs() throws Exception {
    for (ExportOptions options : java.util.List.of(ExportOptions.PLAIN, new ExportOptions(true, false))) {
      check(options);
    }
  }

  private void check(ExportOptions options) throws Exception {
    VisionSpec spec = VisionSpec.load("vil_ls_tiny");
    ImageSet set = SyntheticImages.generate(spec.classes(), 3, spec.imageSize(), 11);
    Path saved = dir.resolve("model_" + options.describe());
    double[] logits;
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, -1, 3)) {
      logits = g.logits(3, set.pixels());
      SavedModelWriter.write(g, saved, options);
    }
    double[] pixels = new double[set.pixels().length];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = set.pixels()[i];
    }
    Path in = dir.resolve("in_" + options.describe() + ".safetensors");
    new SafetensorsWriter().putFloats("images", new long[] {3, spec.imageSize(), spec.imageSize(), 3}, pixels).write(in);
    Path out = dir.resolve("out_" + options.describe() + ".safetensors");
    Path log = dir.resolve("replay_" + options.describe() + ".log");
    Process p = new ProcessBuilder(TestJvm.command(ImageSavedModelReplay.class, saved.toString(), in.toString(),
        out.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), options.describe() + ": fresh JVM timed out");
    assertEquals(0, p.exitValue(), options.describe() + ": fresh JVM failed: " + Files.readString(log));
    try (Safetensors r = Safetensors.open(out)) {
      assertArrayEquals(logits, r.readDoubles("serving_default.logits"), 1e-5, options.describe());
      double[] scores = r.readDoubles("classify_ids.scores");
      double[] classes = r.readDoubles("classify_ids.classes");
      int k = spec.classes();
      for (int b = 0; b < 3; b++) {
        int best = 0;
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
          max = Math.max(max, logits[b * k + c]);
        }
        for (int c = 0; c < k; c++) {
          sum += Math.exp(logits[b * k + c] - max);
          if (logits[b * k + c] > logits[b * k + best]) {
            best = c;
          }
        }
        assertEquals(best, (int) classes[b], "image " + b);
        for (int c = 0; c < k; c++) {
          assertEquals(Math.exp(logits[b * k + c] - max) / sum, scores[b * k + c], 1e-5);
        }
      }
    }
  }
}
