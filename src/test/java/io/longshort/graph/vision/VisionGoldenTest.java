package io.longshort.graph.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.Golden;
import io.longshort.spec.MsVitArch;
import io.longshort.spec.VisionSpec;
import io.longshort.weights.MsVitWeights;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/**
 * Every {@code vision/*.safetensors} case of ../shared/golden (whole ViL-LS classifiers run through
 * the authors' {@code MsViT} in eval mode, random weights): our model built from the case's
 * {@code config} (their arch string and arguments, read by {@link MsVitArch}), loaded from
 * MsViT's state_dict names by {@link MsVitWeights}, gives {@code output.logits} for
 * {@code input.images} (NCHW there, NHWC here) within 1e-4. Our own cases (scripts/make_golden_vision.py,
 * the same layout) in tests/fixtures/golden/vision run too. New files run without code changes.
 */
class VisionGoldenTest {
  static final double TOLERANCE = 1e-4;

  @TestFactory
  Stream<DynamicTest> matchesAuthorsMsVit() throws Exception {
    List<Path> files = new java.util.ArrayList<>(Golden.cases("vision", ""));
    Path ours = Golden.fixtures().resolve("vision");
    if (java.nio.file.Files.isDirectory(ours)) {
      try (Stream<Path> list = java.nio.file.Files.list(ours)) {
        list.filter(p -> p.toString().endsWith(".safetensors")).sorted().forEach(files::add);
      }
    }
    assertTrue(files.size() >= 6, "the three shared vision cases and our three: " + files);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      VisionSpec spec = MsVitArch.fromAuthorsConfig(new ObjectMapper().readTree(st.metadata().get("config")));
      long[] shape = st.info("input.images").shape();
      assertEquals(4, shape.length, "input.images is (B, C, S, S)");
      int batch = Math.toIntExact(shape[0]);
      assertEquals(spec.channels(), shape[1], "channels");
      assertEquals(spec.imageSize(), shape[2], "image height");
      assertEquals(spec.imageSize(), shape[3], "image width");
      float[] nhwc = toNhwc(st.readDoubles("input.images"), batch, spec.channels(), spec.imageSize());
      try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, batch, 0)) {
        WeightLoader.Report report = MsVitWeights.load(g.session(), g.parameters(), st,
            Set.of("input.images", "output.logits"));
        assertEquals(g.parameters().list().size(), report.loaded().size(), "every parameter loaded");
        double[] logits = g.logits(batch, nhwc);
        double[] want = st.readDoubles("output.logits");
        assertEquals(want.length, logits.length, "logits size");
        double max = 0;
        for (int i = 0; i < want.length; i++) {
          max = Math.max(max, Math.abs(want[i] - logits[i]));
        }
        assertTrue(max <= TOLERANCE, file.getFileName() + ": max |ours - MsViT's| = " + max);
        System.out.printf("%s: max abs error %.3g over %d logits%n", file.getFileName(), max, want.length);
      }
    }
  }

  /** (B, C, S, S) row-major -> (B, S, S, C) row-major. */
  static float[] toNhwc(double[] nchw, int batch, int channels, int side) {
    float[] out = new float[nchw.length];
    int plane = side * side;
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < channels; c++) {
        for (int p = 0; p < plane; p++) {
          out[(b * plane + p) * channels + c] = (float) nchw[(b * channels + c) * plane + p];
        }
      }
    }
    return out;
  }
}
