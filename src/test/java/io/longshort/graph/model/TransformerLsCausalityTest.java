package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat64;

/**
 * Changing the tokens after position t changes no output at t or before: within a block (window,
 * the block's own chunks, padding) and through the cache (a stream of blocks), while the token at t
 * does change what comes after it, in the same block and in the next one.
 */
class TransformerLsCausalityTest {
  static final int B = 2;

  @Test
  void noOutputSeesALaterToken() {
    // W 4, C 2, R 1, L 8; blocks of 7 (padded to 8: two window tiles)
    TransformerLsSpec spec = TransformerLsGradientTest.tiny().build();
    int m = 7;
    int blocks = 3;
    Random rnd = new Random(3);
    try (TransformerLsLm<TFloat64> lm = TransformerLsLm.build(spec, TFloat64.class, B, m, 5)) {
      randomise(lm.parameters(), lm, rnd);
      int[][] base = new int[blocks][B * m];
      for (int[] blk : base) {
        for (int i = 0; i < blk.length; i++) {
          blk[i] = rnd.nextInt(spec.vocabSize());
        }
      }
      double[][] ref = stream(lm, base);
      int v = spec.vocabSize();
      for (int t = 0; t < blocks * m - 1; t++) {
        // change every token after global position t (both rows)
        int[][] changed = new int[blocks][];
        for (int k = 0; k < blocks; k++) {
          changed[k] = base[k].clone();
          for (int row = 0; row < B; row++) {
            for (int p = 0; p < m; p++) {
              if (k * m + p > t) {
                changed[k][row * m + p] = (base[k][row * m + p] + 1 + rnd.nextInt(v - 1)) % v;
              }
            }
          }
        }
        double[][] out = stream(lm, changed);
        double before = 0;
        for (int k = 0; k < blocks; k++) {
          for (int row = 0; row < B; row++) {
            for (int p = 0; p < m && k * m + p <= t; p++) {
              for (int c = 0; c < v; c++) {
                int at = (row * m + p) * v + c;
                before = Math.max(before, Math.abs(out[k][at] - ref[k][at]));
              }
            }
          }
        }
        assertTrue(before <= 1e-12, "changing tokens after position " + t + " changed an output at or before it by "
            + before);
      }
      // the token at t moves what comes after it: next position in its block and the next block (via the cache)
      int[][] changed = {base[0].clone(), base[1].clone(), base[2].clone()};
      changed[0][2] = (changed[0][2] + 1) % v;
      double[][] out = stream(lm, changed);
      assertTrue(maxDiff(out[0], ref[0], 3 * v) > 1e-6, "position 2 does not reach position 3");
      assertTrue(maxDiff(out[1], ref[1], 0) > 1e-6, "block 0 does not reach block 1 through the cache");
    }
  }

  private static double maxDiff(double[] a, double[] b, int from) {
    double max = 0;
    for (int i = from; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  /** Log-probs of each block, block k from block k-1's cache. */
  static double[][] stream(TransformerLsLm<TFloat64> lm, int[][] blocks) {
    double[][] out = new double[blocks.length][];
    TFloat64 cache = lm.zeroCache();
    try {
      for (int k = 0; k < blocks.length; k++) {
        TransformerLsLm.Step<TFloat64> step = lm.run(blocks[k], cache);
        cache.close();
        cache = step.nextCache();
        out[k] = step.logprobs();
      }
    } finally {
      cache.close();
    }
    return out;
  }

  /** Sets every parameter to its initial value plus N(0, 0.3^2) noise, so every term matters. */
  static <T extends org.tensorflow.types.family.TFloating> void randomise(Parameters<T> params,
      TransformerLsLm<T> lm, Random rnd) {
    var runner = lm.session().runner();
    List<Tensor> fed = new ArrayList<>();
    try {
      for (Parameter<T> p : params.list()) {
        double[] v;
        try (var r = lm.session().runner().fetch(p.value()).run()) {
          v = HostTensors.toDoubles(r.get(0));
        }
        for (int j = 0; j < v.length; j++) {
          v[j] += 0.3 * rnd.nextGaussian();
        }
        Parameters.Setter<T> setter = params.setter(p);
        Tensor t = HostTensors.of(params.variableDtype(), p.shape(), v);
        fed.add(t);
        runner.feed(setter.value(), t).addTarget(setter.assign());
      }
      runner.run().close();
    } finally {
      fed.forEach(Tensor::close);
    }
  }
}
