package io.longshort.graph.model;

import io.longshort.graph.model.ModelGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.spec.AuthorsConfig;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * (2) The shared golden models (../shared/golden/lra) in a mixed-precision graph (float32
 * variables, bfloat16 compute) against the float32 graph with the same weights.
 *
 * <p>Tolerance: bfloat16 keeps 8 significant bits, so one rounding errs by at most u = 2^-8
 * (about 3.9e-3) relatively. The logits sit behind a few dozen roundings (weights, each matmul's
 * output, GELU, residual sums; softmax and LayerNorm statistics are float32 and LayerNorm resets
 * the scale), which behave like a random walk: about sqrt(k) u for k roundings. We allow 8u
 * (3.1e-2) of the logits' scale (their largest magnitude, at least 1) per logit, and 4u (1.6e-2)
 * of their RMS (at least 1) for the RMS error. The scale floor of 1 matters for the retrieval
 * model, whose small logits come from [x1, x2, x1*x2, x1-x2] (x1 - x2 cancels, so its relative
 * error is larger; measured: max abs 1.1e-2, RMS relative 2.3e-2 of logits of magnitude < 1).
 * Measured on this CPU: max abs errors 6.6e-3 .. 1.1e-2, i.e. 1.7u .. 2.9u.
 */
class MixedPrecisionGoldenTest {
  static final double U = Math.scalb(1.0, -8);

  @TestFactory
  Stream<DynamicTest> bfloat16LogitsAgreeWithFloat32() throws Exception {
    List<Path> files = Golden.modelCases(Golden.cases(""));
    assertTrue(files.size() >= 3, "the three shared model cases: " + files);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      ModelSpec spec = Golden.modelSpec(st);
      long[] idsShape = st.info("input.ids_0").shape();
      int n = Math.toIntExact(idsShape[1]);
      try (ModelGraph<TFloat32> f32 = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(idsShape[0]).setLength(n).optSeed(0).build();
          ModelGraph<TBfloat16> bf16 = ModelGraph.builder(spec).setDtype(TBfloat16.class).setBatch(idsShape[0]).setLength(n).optSeed(0).optVariableDtype(TFloat32.class).build()) {
        WeightLoader.load(f32.session(), f32.parameters(), st, "", AuthorsConfig.stateDictNames(spec));
        WeightLoader.Report report = WeightLoader.load(bf16.session(), bf16.parameters(), st, "",
            AuthorsConfig.stateDictNames(spec));
        assertEquals(bf16.parameters().list().size(), report.loaded().size());
        Map<String, int[]> in = Golden.modelInputs(st, spec);
        double[] a = f32.logits(idsShape[0], in);
        double[] b = bf16.logits(idsShape[0], in);
        assertEquals(TBfloat16.class, bf16.logits().type());
        double scale = 1;
        double maxErr = 0;
        double diff2 = 0;
        double norm2 = 0;
        for (int i = 0; i < a.length; i++) {
          scale = Math.max(scale, Math.abs(a[i]));
          maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
          diff2 += (a[i] - b[i]) * (a[i] - b[i]);
          norm2 += a[i] * a[i];
        }
        double rmsErr = Math.sqrt(diff2 / a.length);
        double rms = Math.sqrt(norm2 / a.length);
        System.out.printf("%s: bf16 vs f32 logits max abs %.3g (scale %.3g), RMS %.3g (RMS logit %.3g)%n",
            file.getFileName(), maxErr, scale, rmsErr, rms);
        assertTrue(maxErr <= 8 * U * scale, file.getFileName() + ": max abs error " + maxErr + " > 8u * " + scale);
        assertTrue(rmsErr <= 4 * U * Math.max(1, rms), file.getFileName() + ": RMS error " + rmsErr
            + " > 4u * max(1, " + rms + ")");
      }
    }
  }
}
