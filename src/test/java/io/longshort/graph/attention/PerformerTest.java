package io.longshort.graph.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.attention.PerformerFeatures;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.FeatureMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat64;

/**
 * Performer's random features: orthogonal blocks with Gaussian row norms, redrawn by the seed,
 * and FAVOR+ approaching softmax attention as the features grow.
 */
class PerformerTest {
  static final int B = 2;
  static final int N = 16;
  static final int D = 8;
  static final int H = 2;

  @Test
  void projectionRowsAreOrthogonalWithinABlockAndSeeded() {
    int k = 4;
    double[] w = PerformerFeatures.draw(5, 10, k);
    for (int block = 0; block < 2; block++) {
      for (int i = 0; i < k; i++) {
        for (int j = 0; j < i; j++) {
          double dot = 0;
          for (int c = 0; c < k; c++) {
            dot += w[(block * k + i) * k + c] * w[(block * k + j) * k + c];
          }
          assertEquals(0, dot, 1e-9, "rows " + i + ", " + j + " of block " + block);
        }
      }
    }
    assertArrayEquals(w, PerformerFeatures.draw(5, 10, k), "the same seed, the same draw");
    assertTrue(Math.abs(w[0] - PerformerFeatures.draw(6, 10, k)[0]) > 1e-6, "another seed redraws");
  }

  /**
   * Mean |performer - softmax attention| over the outputs of real rows (full attention zeroes padded
   * query rows before W_o, the baselines do not), with the same W_q, W_k, W_v, W_o.
   */
  private static double favorError(int features, int seed, double[] x, double[] mask, Map<String, double[]> weights,
      double[] exact) {
    AttentionSpec spec = AttentionSpec.performer().setWidth(D).setHeads(H).setFeatures(features)
        .optFeatureMap(FeatureMap.SOFTMAX).optFeatureSeed(seed).build();
    try (AttentionGraph<TFloat64> g = AttentionGraph.build(spec, TFloat64.class, B, N, 1)) {
      assign(g, weights);
      double[] y = g.run(B, x, mask, null);
      double sum = 0;
      int count = 0;
      for (int i = 0; i < y.length; i++) {
        if (mask[i / D] != 0) {
          sum += Math.abs(y[i] - exact[i]);
          count++;
        }
      }
      return sum / count;
    }
  }

  private static void assign(AttentionGraph<TFloat64> g, Map<String, double[]> weights) {
    Parameters<TFloat64> params = g.parameters();
    for (Parameter<TFloat64> p : params.list()) {
      double[] v = weights.get(p.name());
      Parameters.Setter<TFloat64> setter = params.setter(p);
      try (Tensor t = HostTensors.of(TFloat64.class, p.shape(), v);
          Result r = g.session().runner().feed(setter.value(), t).addTarget(setter.assign()).run()) {
        // assigned
      }
    }
  }

  @Test
  void favorPlusApproachesSoftmaxAttentionAsFeaturesGrow() {
    Random rnd = new Random(11);
    double[] x = ReferenceHarness.normals(rnd, B * N * D);
    for (int i = 0; i < x.length; i++) {
      // moderate logits: FAVOR+'s variance grows like exp(|q|^2 + |k|^2), so large ones need far more features
      x[i] *= 0.5;
    }
    double[] mask = new double[B * N];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = i < N + 11 ? 1 : 0; // row 1 has 5 padded keys
    }
    Map<String, double[]> weights = new java.util.LinkedHashMap<>();
    double[] exact;
    try (AttentionGraph<TFloat64> g = AttentionGraph.build(AttentionSpec.full().setWidth(D).setHeads(H).build(),
        TFloat64.class, B, N, 4)) {
      ReferenceHarness.randomizeParameters(g, rnd);
      ReferenceHarness.readParameters(g).forEach((name, v) -> weights.put(ReferenceHarness.PREFIX + name, v));
      exact = g.run(B, x, mask, null);
    }
    int[] sizes = {4, 16, 64, 256, 1024, 4096};
    double[] errors = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      for (int seed = 0; seed < 3; seed++) {
        errors[i] += favorError(sizes[i], seed, x, mask, weights, exact) / 3;
      }
    }
    System.out.println("FAVOR+ mean abs error against softmax attention, features " + java.util.Arrays.toString(sizes)
        + ": " + java.util.Arrays.toString(errors));
    for (int i = 1; i < sizes.length; i++) {
      assertTrue(errors[i] < errors[i - 1], "error must fall with more features: " + java.util.Arrays.toString(errors));
    }
    assertTrue(errors[sizes.length - 1] < errors[0] / 5, java.util.Arrays.toString(errors));
  }
}
