package io.longshort.graph.attention;

import io.longshort.reference.ReferenceHarness;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.longshort.reference.ReferenceAttention;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The plain-Java reference against hand computations and special cases whose answer is obvious, so
 * that it is not only checked against the graph it is meant to check.
 *
 * <p>Most cases zero the query projection: every logit is then 0, each softmax is uniform over
 * the keys a query may see, and the output is the plain mean of their values, which pins down
 * exactly which keys (windows, global slots, padding) each query sees.
 */
class ReferenceAttentionTest {
  static final double EPS = 1e-12;
  static final double LN_EPS = AttentionSpec.DEFAULT_LAYER_NORM_EPSILON;
  static final double E = Math.E;

  // ------------------------------------------------------------------ full attention by hand

  /** D = 1, one head, every weight 1, every bias 0: q = k = v = x. */
  private static Map<String, double[]> scalarParams(double outBias) {
    Map<String, double[]> p = new HashMap<>();
    for (String name : List.of("W_q", "W_k", "W_v", "W_o")) {
      p.put(name + ".weight", new double[] {1});
      p.put(name + ".bias", new double[] {0});
    }
    p.put("W_o.bias", new double[] {outBias});
    return p;
  }

  @Test
  void fullAttentionTwoTokensByHand() {
    AttentionSpec spec = AttentionSpec.full().setWidth(1).setHeads(1).build();
    ReferenceAttention ref = new ReferenceAttention(spec, scalarParams(0));
    double[] y = ref.apply(1, 2, new double[] {1, 2}, new double[] {1, 1}, null);
    // row 0: logits [1*1, 1*2]; row 1: logits [2*1, 2*2]; values [1, 2]
    assertArrayEquals(new double[] {(1 + 2 * E) / (1 + E), (1 + 2 * E * E) / (1 + E * E)}, y, EPS);
  }

  @Test
  void fullAttentionPaddingByHand() {
    AttentionSpec spec = AttentionSpec.full().setWidth(1).setHeads(1).build();
    ReferenceAttention ref = new ReferenceAttention(spec, scalarParams(0.25));
    double[] y = ref.apply(1, 2, new double[] {1, 2}, new double[] {1, 0}, null);
    // row 0 sees key 0 only: value 1, plus b_o; row 1 is padding: zero, plus b_o
    assertArrayEquals(new double[] {1.25, 0.25}, y, EPS);
  }

  @Test
  void causalFullAttentionByHand() {
    AttentionSpec spec = AttentionSpec.causalFull().setWidth(1).setHeads(1).build();
    ReferenceAttention ref = new ReferenceAttention(spec, scalarParams(0));
    double[] y = ref.apply(1, 2, new double[] {1, 2}, new double[] {1, 1}, null);
    assertArrayEquals(new double[] {1, (1 + 2 * E * E) / (1 + E * E)}, y, EPS);
  }

  @Test
  void fullAttentionTwoHeadsByHand() {
    // D = 2, H = 2 (K = 1): head 0 sees column 0, head 1 column 1; identity projections
    AttentionSpec spec = AttentionSpec.full().setWidth(2).setHeads(2).build();
    Map<String, double[]> p = identityParams(2);
    ReferenceAttention ref = new ReferenceAttention(spec, p);
    double[] y = ref.apply(1, 2, new double[] {1, 0, 2, -1}, new double[] {1, 1}, null);
    double[] want = {
        (1 + 2 * E) / (1 + E), -0.5, // head 1, row 0: q = 0, uniform over values [0, -1]
        (1 + 2 * E * E) / (1 + E * E), -E / (1 + E)}; // head 1, row 1: logits [0, 1]
    assertArrayEquals(want, y, EPS);
  }

  @Test
  void fullAttentionScaleAndOutputLayoutByHand() {
    // D = 2, H = 1 (K = 2): logits scale by 1/sqrt(2); W_o is [out, in]: y = o W_o^T + b_o
    AttentionSpec spec = AttentionSpec.full().setWidth(2).setHeads(1).build();
    Map<String, double[]> p = identityParams(2);
    p.put("W_o.weight", new double[] {1, 2, 3, 4});
    p.put("W_o.bias", new double[] {0.1, 0.2});
    ReferenceAttention ref = new ReferenceAttention(spec, p);
    double[] y = ref.apply(1, 2, new double[] {1, 1, 0, 0}, new double[] {1, 1}, null);
    // row 0: q = [1,1]/sqrt2, logits [sqrt2, 0]: o = p0 [1, 1]; row 1: q = 0: o = [0.5, 0.5]
    double p0 = Math.exp(Math.sqrt(2)) / (Math.exp(Math.sqrt(2)) + 1);
    double[] want = {3 * p0 + 0.1, 7 * p0 + 0.2, 1.5 + 0.1, 3.5 + 0.2};
    assertArrayEquals(want, y, EPS);
  }

  @Test
  void layerNormByHand() {
    double s = 1 / Math.sqrt(2.0 / 3 + LN_EPS);
    assertArrayEquals(new double[] {-s, 0, s}, ln(new double[] {1, 2, 3}, ones(3), new double[3]),
        EPS);
  }

  // ------------------------------------------------------------------ long-short windows

  /** LONG_SHORT, D = 3, one head, r = 0, W_q = 0: y_t = mean of LN_l(x_j) over the window. */
  @Test
  void longShortWindowsAreSegmentPlusMaxHalfWEachSide() {
    int n = 7;
    double[][] x = randomRows(n, 3, 1);
    double[] all = ones(n);
    // w = 2, e = 1: segment s = t/2 sees [2s-1, 2s+3); n = 7 is padded to 8
    checkWindows(2, x, all, new int[][] {
        {0, 1, 2}, {0, 1, 2}, {1, 2, 3, 4}, {1, 2, 3, 4}, {3, 4, 5, 6}, {3, 4, 5, 6}, {5, 6}});
    // w = 1, e = 1: [t-1, t+2)
    checkWindows(1, x, all, new int[][] {
        {0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 6}, {5, 6}});
    // w = 3, e = 1: [3s-1, 3s+4)
    checkWindows(3, x, all, new int[][] {
        {0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}, {2, 3, 4, 5, 6}, {2, 3, 4, 5, 6},
        {2, 3, 4, 5, 6}, {5, 6}});
    // w = 4, e = 2: [4s-2, 4s+6)
    int[] s0 = {0, 1, 2, 3, 4, 5};
    int[] s1 = {2, 3, 4, 5, 6};
    checkWindows(4, x, all, new int[][] {s0, s0, s0, s0, s1, s1, s1});
    // w = 5, e = 2: [5s-2, 5s+7)
    int[] t0 = {0, 1, 2, 3, 4, 5, 6};
    int[] t1 = {3, 4, 5, 6};
    checkWindows(5, x, all, new int[][] {t0, t0, t0, t0, t0, t1, t1});
    // w >= n: everything (e = w/2 on both sides)
    checkWindows(9, x, all, new int[][] {t0, t0, t0, t0, t0, t0, t0});
    // padding at 4 (w = 2): excluded as a key, zero as a query
    double[] m = {1, 1, 1, 1, 0, 1, 1};
    checkWindows(2, x, m, new int[][] {
        {0, 1, 2}, {0, 1, 2}, {1, 2, 3}, {1, 2, 3}, null, {3, 5, 6}, {5, 6}});
  }

  private static void checkWindows(int w, double[][] x, double[] mask, int[][] windows) {
    int n = x.length;
    int d = 3;
    AttentionSpec spec = AttentionSpec.longShort().setWidth(d).setHeads(1).setWindow(w).setRank(0)
        .build();
    Map<String, double[]> p = identityParams(d);
    p.put("W_q.weight", new double[d * d]);
    p.put("dual_ln_l.weight", new double[] {1, 2, 0.5});
    p.put("dual_ln_l.bias", new double[] {0.1, 0, -0.3});
    double[] y = new ReferenceAttention(spec, p).apply(1, n, flat(x), mask, null);
    for (int t = 0; t < n; t++) {
      double[] want = new double[d];
      if (windows[t] != null) {
        for (int j : windows[t]) {
          add(want, ln(x[j], p.get("dual_ln_l.weight"), p.get("dual_ln_l.bias")),
              1.0 / windows[t].length);
        }
      }
      double[] got = new double[d];
      System.arraycopy(y, t * d, got, 0, d);
      assertArrayEquals(want, got, EPS, "w=" + w + " t=" + t);
    }
  }

  // ------------------------------------------------------------------ dynamic projection

  /**
   * w = 0, r = 2, W_q = 0: every real query averages the two global slots LN_s(Vbar_i); column 0
   * of the projection has scores x_t[0] (softmax over the real positions), column 1 scores 0
   * (uniform over the real positions).
   */
  @Test
  void dynamicProjectionIsSoftmaxOverRealPositionsThenLnS() {
    int n = 5;
    int d = 3;
    double[][] x = randomRows(n, d, 2);
    double[] mask = {1, 0, 1, 1, 0};
    AttentionSpec spec = AttentionSpec.longShort().setWidth(d).setHeads(1).setWindow(0).setRank(2)
        .build();
    Map<String, double[]> p = identityParams(d);
    p.put("W_q.weight", new double[d * d]);
    p.put("W_o.bias", new double[] {0.5, -0.5, 1});
    p.put("dual_ln_l.weight", new double[] {1.5, 1, 0.5});
    p.put("dual_ln_l.bias", new double[] {0, 0.2, 0});
    p.put("dual_ln_s.weight", new double[] {0.7, 1.3, 1});
    p.put("dual_ln_s.bias", new double[] {-0.1, 0, 0.4});
    p.put("dconv_fc.weight", new double[] {1, 0, 0, 0, 0, 0});
    p.put("dconv_fc.bias", new double[] {3, -2}); // a constant per column cancels in the softmax
    double[] y = new ReferenceAttention(spec, p).apply(1, n, flat(x), mask, null);

    double z = 0;
    for (int t = 0; t < n; t++) {
      z += mask[t] * Math.exp(x[t][0]);
    }
    double[] vbar0 = new double[d];
    double[] vbar1 = new double[d];
    for (int t = 0; t < n; t++) {
      if (mask[t] != 0) {
        double[] v = ln(x[t], p.get("dual_ln_l.weight"), p.get("dual_ln_l.bias"));
        add(vbar0, v, Math.exp(x[t][0]) / z);
        add(vbar1, v, 1.0 / 3);
      }
    }
    double[] slots = new double[d];
    add(slots, ln(vbar0, p.get("dual_ln_s.weight"), p.get("dual_ln_s.bias")), 0.5);
    add(slots, ln(vbar1, p.get("dual_ln_s.weight"), p.get("dual_ln_s.bias")), 0.5);
    for (int t = 0; t < n; t++) {
      double[] want = new double[d];
      if (mask[t] != 0) {
        add(want, slots, 1);
      }
      add(want, p.get("W_o.bias"), 1);
      double[] got = new double[d];
      System.arraycopy(y, t * d, got, 0, d);
      assertArrayEquals(want, got, EPS, "t=" + t);
    }
  }

  // ------------------------------------------------------------------ CLS token

  /**
   * w = 8 >= n, r = 0, CLS input, W_q = 0: every token averages [LN_s(c) ; LN_l(x_j) real]; the
   * CLS row averages [c (raw) ; C_t real]. FIRST_ROW with [c ; x] gives the same rows.
   */
  @Test
  void clsTokenIsOneMoreGlobalSlotAndAttendsOverTheOutputs() {
    int n = 3;
    int d = 3;
    double[][] x = randomRows(n, d, 3);
    double[] c = {0.3, -1.2, 2.0};
    double[] mask = {1, 1, 0};
    AttentionSpec spec = AttentionSpec.longShort().setWidth(d).setHeads(1).setWindow(8).setRank(0)
        .optGlobalToken(GlobalToken.INPUT).build();
    Map<String, double[]> p = identityParams(d);
    p.put("W_q.weight", new double[d * d]);
    p.put("dual_ln_l.weight", new double[] {1, 1.5, 0.5});
    p.put("dual_ln_l.bias", new double[] {0, 0.1, 0});
    p.put("dual_ln_s.weight", new double[] {2, 1, 1});
    p.put("dual_ln_s.bias", new double[] {0, 0.5, 0});
    double[] y = new ReferenceAttention(spec, p).apply(1, n, flat(x), mask, c);

    double[][] want = new double[n + 1][d];
    double[] clsSlot = ln(c, p.get("dual_ln_s.weight"), p.get("dual_ln_s.bias"));
    for (int t = 0; t < n; t++) {
      if (mask[t] == 0) {
        continue;
      }
      add(want[1 + t], clsSlot, 1.0 / 3);
      for (int j = 0; j < 2; j++) {
        add(want[1 + t], ln(x[j], p.get("dual_ln_l.weight"), p.get("dual_ln_l.bias")), 1.0 / 3);
      }
    }
    add(want[0], c, 1.0 / 3);
    add(want[0], want[1], 1.0 / 3);
    add(want[0], want[2], 1.0 / 3);
    assertArrayEquals(flat(want), y, EPS);

    AttentionSpec firstRow = spec.toBuilder().optGlobalToken(GlobalToken.FIRST_ROW).build();
    double[][] withCls = {c, x[0], x[1], x[2]};
    double[] y2 = new ReferenceAttention(firstRow, p).apply(1, n + 1, flat(withCls),
        new double[] {0, 1, 1, 0}, null);
    assertArrayEquals(y, y2, EPS);
  }

  // ------------------------------------------------------------------ causal long-short

  /**
   * l = 2, r = 1, w = 2, W_q = 0, W_p = 0: query t averages the slots LN_s(mean of the RAW values
   * of the real tokens of segment j) for the earlier segments j < t/2 that have a real token, and
   * LN_l(x_j) for the real j in {t-1, t}.
   */
  @Test
  void causalLongShortSeesEarlierSegmentsAndRecentWindow() {
    double[][] x = randomRows(5, 3, 4);
    checkCausal(x, new double[] {1, 1, 1, 1, 1}, new String[] {
        "0", "0 1", "S0 1 2", "S0 2 3", "S0 S1 3 4"});
    checkCausal(x, new double[] {1, 0, 1, 1, 1}, new String[] {
        "0", null, "S0 2", "S0 2 3", "S0 S1 3 4"});
    checkCausal(x, new double[] {1, 1, 0, 0, 1}, new String[] {
        "0", "0 1", null, null, "S0 4"});
  }

  private static void checkCausal(double[][] x, double[] mask, String[] seen) {
    int n = x.length;
    int d = 3;
    int l = 2;
    AttentionSpec spec = AttentionSpec.causalLongShort().setWidth(d).setHeads(1).setWindow(2)
        .setSegment(l).setRank(1).build();
    Map<String, double[]> p = identityParams(d);
    p.put("W_q.weight", new double[d * d]);
    p.put("dual_ln_l.weight", new double[] {1, 1.5, 0.5});
    p.put("dual_ln_l.bias", new double[] {0, 0.1, 0});
    p.put("dual_ln_s.weight", new double[] {2, 1, 1});
    p.put("dual_ln_s.bias", new double[] {0, 0.5, 0});
    p.put("dconv_fc.weight", new double[d]);
    p.put("dconv_fc.bias", new double[] {0.7});
    double[] y = new ReferenceAttention(spec, p).apply(1, n, flat(x), mask, null);
    for (int t = 0; t < n; t++) {
      double[] want = new double[d];
      if (seen[t] != null) {
        String[] items = seen[t].split(" ");
        for (String item : items) {
          double[] v;
          if (item.startsWith("S")) {
            int j = Integer.parseInt(item.substring(1));
            double[] mean = new double[d];
            int count = 0;
            for (int s = j * l; s < j * l + l; s++) {
              count += mask[s] != 0 ? 1 : 0;
            }
            for (int s = j * l; s < j * l + l; s++) {
              if (mask[s] != 0) {
                add(mean, x[s], 1.0 / count);
              }
            }
            v = ln(mean, p.get("dual_ln_s.weight"), p.get("dual_ln_s.bias"));
          } else {
            v = ln(x[Integer.parseInt(item)], p.get("dual_ln_l.weight"), p.get("dual_ln_l.bias"));
          }
          add(want, v, 1.0 / items.length);
        }
      }
      double[] got = new double[d];
      System.arraycopy(y, t * d, got, 0, d);
      assertArrayEquals(want, got, EPS, "t=" + t + " mask " + java.util.Arrays.toString(mask));
    }
  }

  @Test
  void batchRowsAreIndependent() {
    AttentionSpec spec = AttentionSpec.longShort().setWidth(4).setHeads(2).setWindow(2).setRank(1)
        .build();
    Random rnd = new Random(5);
    Map<String, double[]> p = new HashMap<>();
    for (String name : List.of("W_q", "W_k", "W_v", "W_o")) {
      p.put(name + ".weight", ReferenceHarness.normals(rnd, 16));
      p.put(name + ".bias", ReferenceHarness.normals(rnd, 4));
    }
    p.put("dconv_fc.weight", ReferenceHarness.normals(rnd, 8));
    p.put("dconv_fc.bias", ReferenceHarness.normals(rnd, 2));
    for (String ln : List.of("dual_ln_l", "dual_ln_s")) {
      p.put(ln + ".weight", ReferenceHarness.normals(rnd, 4));
      p.put(ln + ".bias", ReferenceHarness.normals(rnd, 4));
    }
    ReferenceAttention ref = new ReferenceAttention(spec, p);
    double[] x = ReferenceHarness.normals(rnd, 2 * 5 * 4);
    double[] mask = {1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
    double[] both = ref.apply(2, 5, x, mask, null);
    double[] x1 = java.util.Arrays.copyOfRange(x, 20, 40);
    double[] one = ref.apply(1, 5, x1, java.util.Arrays.copyOfRange(mask, 5, 10), null);
    assertArrayEquals(one, java.util.Arrays.copyOfRange(both, 20, 40), 0);
    assertEquals(40, both.length);
  }

  // ------------------------------------------------------------------ helpers

  /** Identity W_q, W_k, W_v, W_o, zero biases, LayerNorms weight 1 bias 0. */
  private static Map<String, double[]> identityParams(int d) {
    Map<String, double[]> p = new HashMap<>();
    double[] eye = new double[d * d];
    for (int i = 0; i < d; i++) {
      eye[i * d + i] = 1;
    }
    for (String name : List.of("W_q", "W_k", "W_v", "W_o")) {
      p.put(name + ".weight", eye.clone());
      p.put(name + ".bias", new double[d]);
    }
    for (String name : List.of("dual_ln_l", "dual_ln_s")) {
      p.put(name + ".weight", ones(d));
      p.put(name + ".bias", new double[d]);
    }
    return p;
  }

  /** A LayerNorm written again here, independent of the reference's. */
  private static double[] ln(double[] v, double[] weight, double[] bias) {
    int d = v.length;
    double mean = 0;
    for (double a : v) {
      mean += a / d;
    }
    double var = 0;
    for (double a : v) {
      var += (a - mean) * (a - mean) / d;
    }
    double[] out = new double[d];
    for (int i = 0; i < d; i++) {
      out[i] = (v[i] - mean) / Math.sqrt(var + LN_EPS) * weight[i] + bias[i];
    }
    return out;
  }

  private static void add(double[] acc, double[] v, double scale) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] += scale * v[i];
    }
  }

  private static double[] ones(int d) {
    double[] o = new double[d];
    java.util.Arrays.fill(o, 1);
    return o;
  }

  private static double[][] randomRows(int n, int d, long seed) {
    Random rnd = new Random(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = rnd.nextGaussian();
      }
    }
    return x;
  }

  private static double[] flat(double[][] x) {
    double[] out = new double[x.length * x[0].length];
    for (int t = 0; t < x.length; t++) {
      System.arraycopy(x[t], 0, out, t * x[t].length, x[t].length);
    }
    return out;
  }
}
