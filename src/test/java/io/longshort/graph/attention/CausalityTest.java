package io.longshort.graph.attention;

import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.attention.AttentionGraph;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.ReferenceHarness.Case;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * The causal kinds never look ahead: changing every token after position t (and, in half the
 * cases, the padding mask after t) leaves the outputs at positions 0..t unchanged.
 */
class CausalityTest {
  static final double TOLERANCE = 1e-6;
  private static double worst = 0;

  record CausalCase(Case c, int t, boolean changeMask, Class<? extends TFloating> dtype) {
    String name() {
      return c.name() + " t=" + t + (changeMask ? " +mask" : "") + " "
          + (dtype == TFloat32.class ? "float32" : "float64");
    }
  }

  static List<CausalCase> cases() {
    Random rnd = new Random(77);
    List<CausalCase> cases = new ArrayList<>();
    long seed = 1000;
    for (int i = 0; i < 28; i++) {
      boolean full = i % 4 == 3;
      boolean f32 = i >= 22;
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(5);
      int n = 2 + rnd.nextInt(38);
      AttentionSpec spec;
      if (full) {
        spec = AttentionSpec.causalFull().setWidth(heads * k).setHeads(heads).build();
      } else {
        int l = 1 + rnd.nextInt(8);
        spec = AttentionSpec.causalLongShort().setWidth(heads * k).setHeads(heads)
            .setWindow(1 + rnd.nextInt(9)).setSegment(l).setRank(rnd.nextInt(l)).build();
      }
      int t = rnd.nextInt(n - 1);
      cases.add(new CausalCase(new Case(spec, 1 + rnd.nextInt(3), n, seed++), t, i % 2 == 1,
          f32 ? TFloat32.class : TFloat64.class));
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> futureTokensDoNotChangeThePast() {
    return cases().stream().map(cc -> DynamicTest.dynamicTest(cc.name(), () -> check(cc)));
  }

  @AfterAll
  static void report() {
    System.out.println("CausalityTest: max change at positions <= t: " + worst);
  }

  private static void check(CausalCase cc) {
    check(cc, cc.dtype());
  }

  private static <T extends TFloating> void check(CausalCase cc, Class<T> dtype) {
    Case c = cc.c();
    int n = c.n();
    int d = c.spec().width();
    int t = cc.t();
    Random rnd = new Random(c.seed() * 104729);
    double[] x = ReferenceHarness.normals(rnd, c.batch() * n * d);
    double[] mask = ReferenceHarness.mask(rnd, c, false);
    double[] x2 = x.clone();
    double[] mask2 = mask.clone();
    for (int b = 0; b < c.batch(); b++) {
      for (int s = t + 1; s < n; s++) {
        for (int j = 0; j < d; j++) {
          x2[(b * n + s) * d + j] = rnd.nextGaussian();
        }
        if (cc.changeMask()) {
          mask2[b * n + s] = rnd.nextInt(3) == 0 ? 0 : 1;
        }
      }
      // the future must hold at least one real token whenever the past has none
      boolean any = false;
      for (int s = 0; s < n; s++) {
        any |= mask2[b * n + s] != 0;
      }
      if (!any) {
        mask2[b * n + n - 1] = 1;
      }
    }
    try (AttentionGraph<T> g = AttentionGraph.build(c.spec(), dtype, c.batch(), n, c.seed())) {
      ReferenceHarness.randomizeParameters(g, rnd);
      double[] y1 = g.run(c.batch(), x, mask, null);
      double[] y2 = g.run(c.batch(), x2, mask2, null);
      double maxPast = 0;
      double maxFuture = 0;
      for (int b = 0; b < c.batch(); b++) {
        for (int s = 0; s < n; s++) {
          for (int j = 0; j < d; j++) {
            int i = (b * n + s) * d + j;
            double e = Math.abs(y1[i] - y2[i]);
            if (Double.isNaN(e)) {
              e = Double.POSITIVE_INFINITY;
            }
            if (s <= t) {
              if (e > maxPast) {
                System.out.println(cc.name() + ": b=" + b + " position " + s + " changed by " + e);
              }
              maxPast = Math.max(maxPast, e);
            } else if (mask[b * n + s] != 0 && mask2[b * n + s] != 0) {
              maxFuture = Math.max(maxFuture, e);
            }
          }
        }
      }
      synchronized (CausalityTest.class) {
        worst = Math.max(worst, maxPast);
      }
      assertTrue(maxPast <= TOLERANCE, cc.name() + ": outputs at positions <= " + t
          + " changed by " + maxPast + " when only positions > " + t + " changed");
      boolean futureQueryExists = false;
      for (int b = 0; b < c.batch(); b++) {
        for (int s = t + 1; s < n; s++) {
          futureQueryExists |= mask[b * n + s] != 0 && mask2[b * n + s] != 0;
        }
      }
      // with width 1 every LayerNorm output is its bias, so causal long-short ignores x entirely
      boolean xMatters = c.spec().kind() == AttentionKind.CAUSAL_FULL || d > 1;
      if (futureQueryExists && xMatters) {
        assertTrue(maxFuture > 0, cc.name() + ": outputs after t did not change at all; the"
            + " perturbation did not reach the graph");
      }
    }
  }
}
