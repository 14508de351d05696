package io.longshort.reference;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A plain-Java float64 reference of every attention kind, written straight from the equations in
 * shared/TRANSFORMER_LS.md (sections 1 and 2), for clarity rather than speed. No TensorFlow.
 *
 * <p>Letters: B batch, N length, D width, H heads, K = D/H head width, w window, r rank, l segment.
 * Parameters are keyed by their PyTorch names (Linear weight [out, in] row-major, y = x W^T + b).
 */
public final class ReferenceAttention {
  private final AttentionSpec spec;
  private final Map<String, double[]> p;
  private final int d;
  private final int h;
  private final int k;
  private final double eps;

  public ReferenceAttention(AttentionSpec spec, Map<String, double[]> params) {
    this.spec = spec;
    this.p = params;
    this.d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.eps = spec.layerNormEpsilon();
  }

  /**
   * @param x (B, N, D) row-major; for FIRST_ROW, row 0 of every batch row is the CLS token
   * @param mask (B, N), 1 = token, 0 = padding (for FIRST_ROW, mask row 0 is ignored)
   * @param cls (B, 1, D) for globalToken INPUT, otherwise null
   * @return (B, N', D) with N' = N, or 1 + N for INPUT
   */
  public double[] apply(int batch, int n, double[] x, double[] mask, double[] cls) {
    if (x.length != batch * n * d || mask.length != batch * n) {
      throw new IllegalArgumentException("x or mask size does not match (B, N, D)");
    }
    List<double[][]> outs = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      double[][] xb = new double[n][d];
      boolean[] mb = new boolean[n];
      for (int t = 0; t < n; t++) {
        for (int c = 0; c < d; c++) {
          xb[t][c] = x[(b * n + t) * d + c];
        }
        mb[t] = mask[b * n + t] != 0;
      }
      double[] cb = null;
      if (spec.globalToken() == GlobalToken.INPUT) {
        cb = new double[d];
        System.arraycopy(cls, b * d, cb, 0, d);
      }
      outs.add(applyOne(xb, mb, cb));
    }
    int rows = outs.get(0).length;
    double[] y = new double[batch * rows * d];
    for (int b = 0; b < batch; b++) {
      double[][] yb = outs.get(b);
      for (int t = 0; t < rows; t++) {
        System.arraycopy(yb[t], 0, y, (b * rows + t) * d, d);
      }
    }
    return y;
  }

  /** One batch row: x (N, D), mask (N), cls (D) or null. Returns the rows after W_o. */
  double[][] applyOne(double[][] x, boolean[] mask, double[] cls) {
    double[][] attn; // attention output before W_o, one row per output position
    switch (spec.kind()) {
      case LONG_SHORT -> {
        if (spec.globalToken() == GlobalToken.FIRST_ROW) {
          cls = x[0];
          double[][] rest = new double[x.length - 1][];
          boolean[] restMask = new boolean[x.length - 1];
          for (int t = 1; t < x.length; t++) {
            rest[t - 1] = x[t];
            restMask[t - 1] = mask[t];
          }
          x = rest;
          mask = restMask;
        }
        attn = longShort(x, mask, cls);
      }
      case CAUSAL_LONG_SHORT -> attn = causalLongShort(x, mask);
      case FULL -> attn = full(x, mask, false);
      case CAUSAL_FULL -> attn = full(x, mask, true);
      default -> throw new AssertionError(spec.kind());
    }
    return linear(attn, "W_o");
  }

  // ---------------------------------------------------------------- full attention

  private double[][] full(double[][] x, boolean[] mask, boolean causal) {
    int n = x.length;
    double[][] q = scale(linear(x, "W_q"), 1.0 / Math.sqrt(k));
    double[][] kk = linear(x, "W_k");
    double[][] v = linear(x, "W_v");
    double[][] out = new double[n][d];
    for (int t = 0; t < n; t++) {
      if (!mask[t]) {
        continue; // padded query: zero row
      }
      for (int head = 0; head < h; head++) {
        List<double[]> keys = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        for (int j = 0; j < n; j++) {
          if (mask[j] && (!causal || j <= t)) {
            keys.add(headOf(kk[j], head));
            values.add(headOf(v[j], head));
          }
        }
        putHead(out[t], head, attend(headOf(q[t], head), keys, values));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- bidirectional long-short

  private double[][] longShort(double[][] x, boolean[] mask, double[] cls) {
    int n = x.length;
    int w = spec.window();
    int r = spec.rank();
    double[][] q = scale(linear(x, "W_q"), 1.0 / Math.sqrt(k));
    double[][] kl = layerNorm(linear(x, "W_k"), "dual_ln_l");
    double[][] vl = layerNorm(linear(x, "W_v"), "dual_ln_l");

    // global slots, each a full-width D vector: [CLS ; Kbar_0 .. Kbar_{r-1}], then LN_s
    List<double[]> gk = new ArrayList<>();
    List<double[]> gv = new ArrayList<>();
    if (cls != null) {
      gk.add(linearRow(cls, "W_k"));
      gv.add(linearRow(cls, "W_v"));
    }
    if (r > 0) {
      double[][] proj = projection(x, mask, 0, n); // (N, H*r)
      for (int i = 0; i < r; i++) {
        double[] kbar = new double[d];
        double[] vbar = new double[d];
        for (int head = 0; head < h; head++) {
          int col = head * r + i;
          for (int t = 0; t < n; t++) {
            for (int c = 0; c < k; c++) {
              kbar[head * k + c] += proj[t][col] * kl[t][head * k + c];
              vbar[head * k + c] += proj[t][col] * vl[t][head * k + c];
            }
          }
        }
        gk.add(kbar);
        gv.add(vbar);
      }
    }
    gk = layerNormRows(gk, "dual_ln_s");
    gv = layerNormRows(gv, "dual_ln_s");

    int e = Math.max(w / 2, 1);
    double[][] c = new double[n][d]; // attention outputs of the sequence, before W_o
    for (int t = 0; t < n; t++) {
      if (!mask[t]) {
        continue;
      }
      for (int head = 0; head < h; head++) {
        List<double[]> keys = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        for (int g = 0; g < gk.size(); g++) {
          keys.add(headOf(gk.get(g), head));
          values.add(headOf(gv.get(g), head));
        }
        if (w > 0) {
          int s = t / w;
          for (int j = s * w - e; j < (s + 1) * w + e; j++) {
            if (j >= 0 && j < n && mask[j]) {
              keys.add(headOf(kl[j], head));
              values.add(headOf(vl[j], head));
            }
          }
        }
        putHead(c[t], head, attend(headOf(q[t], head), keys, values));
      }
    }
    if (cls == null) {
      return c;
    }

    // the CLS query attends over [its raw key ; C of the real tokens] with values [raw value ; C]
    double[] qc = scaleRow(linearRow(cls, "W_q"), 1.0 / Math.sqrt(k));
    double[] kc = linearRow(cls, "W_k");
    double[] vc = linearRow(cls, "W_v");
    double[] outCls = new double[d];
    for (int head = 0; head < h; head++) {
      List<double[]> keys = new ArrayList<>();
      List<double[]> values = new ArrayList<>();
      keys.add(headOf(kc, head));
      values.add(headOf(vc, head));
      for (int t = 0; t < n; t++) {
        if (mask[t]) {
          keys.add(headOf(c[t], head));
          values.add(headOf(c[t], head));
        }
      }
      putHead(outCls, head, attend(headOf(qc, head), keys, values));
    }
    double[][] out = new double[n + 1][];
    out[0] = outCls;
    System.arraycopy(c, 0, out, 1, n);
    return out;
  }

  // ---------------------------------------------------------------- causal long-short

  private double[][] causalLongShort(double[][] x, boolean[] mask) {
    int n = x.length;
    int w = spec.window();
    int r = spec.rank();
    int l = spec.segment();
    double[][] q = scale(linear(x, "W_q"), 1.0 / Math.sqrt(k));
    double[][] kraw = linear(x, "W_k");
    double[][] vraw = linear(x, "W_v");
    double[][] kl = layerNorm(kraw, "dual_ln_l");
    double[][] vl = layerNorm(vraw, "dual_ln_l");

    int segments = (n + l - 1) / l;
    // per segment: its r projected key / value slots (full width, after LN_s); empty if no token
    List<List<double[]>> segKeys = new ArrayList<>();
    List<List<double[]>> segValues = new ArrayList<>();
    for (int j = 0; j < segments; j++) {
      int from = j * l;
      int to = Math.min(n, from + l);
      List<double[]> sk = new ArrayList<>();
      List<double[]> sv = new ArrayList<>();
      boolean anyToken = false;
      for (int t = from; t < to; t++) {
        anyToken |= mask[t];
      }
      if (r > 0 && anyToken) {
        double[][] proj = projection(x, mask, from, to); // rows from..to-1 -> (to-from, H*r)
        for (int i = 0; i < r; i++) {
          double[] kbar = new double[d];
          double[] vbar = new double[d];
          for (int head = 0; head < h; head++) {
            int col = head * r + i;
            for (int t = from; t < to; t++) {
              double pt = proj[t - from][col];
              for (int c = 0; c < k; c++) {
                kbar[head * k + c] += pt * kraw[t][head * k + c];
                vbar[head * k + c] += pt * vraw[t][head * k + c];
              }
            }
          }
          sk.add(layerNormRow(kbar, "dual_ln_s"));
          sv.add(layerNormRow(vbar, "dual_ln_s"));
        }
      }
      segKeys.add(sk);
      segValues.add(sv);
    }

    double[][] out = new double[n][d];
    for (int t = 0; t < n; t++) {
      if (!mask[t]) {
        continue;
      }
      int st = t / l;
      for (int head = 0; head < h; head++) {
        List<double[]> keys = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        for (int j = 0; j < st; j++) {
          for (int i = 0; i < segKeys.get(j).size(); i++) {
            keys.add(headOf(segKeys.get(j).get(i), head));
            values.add(headOf(segValues.get(j).get(i), head));
          }
        }
        for (int j = t - w + 1; j <= t; j++) {
          if (j >= 0 && mask[j]) {
            keys.add(headOf(kl[j], head));
            values.add(headOf(vl[j], head));
          }
        }
        putHead(out[t], head, attend(headOf(q[t], head), keys, values));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- building blocks

  /**
   * The dynamic projection over rows from..to-1: scores = x W_p + b_p (H*r columns), each column a
   * softmax over the rows with mask 1 (padding weight 0).
   */
  private double[][] projection(double[][] x, boolean[] mask, int from, int to) {
    int cols = h * spec.rank();
    double[][] scores = new double[to - from][];
    for (int t = from; t < to; t++) {
      scores[t - from] = linearRow(x[t], "dconv_fc");
    }
    double[][] probs = new double[to - from][cols];
    for (int col = 0; col < cols; col++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int t = from; t < to; t++) {
        if (mask[t]) {
          max = Math.max(max, scores[t - from][col]);
        }
      }
      double sum = 0;
      for (int t = from; t < to; t++) {
        if (mask[t]) {
          sum += Math.exp(scores[t - from][col] - max);
        }
      }
      for (int t = from; t < to; t++) {
        probs[t - from][col] = mask[t] ? Math.exp(scores[t - from][col] - max) / sum : 0.0;
      }
    }
    return probs;
  }

  /** One softmax of q . key over all keys, then the weighted sum of the values. */
  static double[] attend(double[] q, List<double[]> keys, List<double[]> values) {
    int m = keys.size();
    if (m == 0) {
      throw new IllegalStateException("a real query with no key to attend to");
    }
    double[] logits = new double[m];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < m; i++) {
      logits[i] = dot(q, keys.get(i));
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = 0; i < m; i++) {
      logits[i] = Math.exp(logits[i] - max);
      sum += logits[i];
    }
    double[] out = new double[values.get(0).length];
    for (int i = 0; i < m; i++) {
      double pi = logits[i] / sum;
      double[] v = values.get(i);
      for (int c = 0; c < out.length; c++) {
        out[c] += pi * v[c];
      }
    }
    return out;
  }

  private double[][] linear(double[][] x, String name) {
    double[][] y = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      y[t] = linearRow(x[t], name);
    }
    return y;
  }

  /** y = x W^T + b with W [out, in] row-major. */
  private double[] linearRow(double[] x, String name) {
    double[] w = param(name + ".weight");
    double[] b = param(name + ".bias");
    int out = b.length;
    int in = x.length;
    if (w.length != out * in) {
      throw new IllegalArgumentException(name + ".weight has " + w.length + " values, expected "
          + out + " x " + in);
    }
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = b[o];
      for (int i = 0; i < in; i++) {
        s += x[i] * w[o * in + i];
      }
      y[o] = s;
    }
    return y;
  }

  private double[][] layerNorm(double[][] x, String name) {
    double[][] y = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      y[t] = layerNormRow(x[t], name);
    }
    return y;
  }

  private List<double[]> layerNormRows(List<double[]> x, String name) {
    List<double[]> y = new ArrayList<>();
    for (double[] row : x) {
      y.add(layerNormRow(row, name));
    }
    return y;
  }

  /** LayerNorm over the full width: (x - mean) / sqrt(biased var + eps) * weight + bias. */
  private double[] layerNormRow(double[] x, String name) {
    return layerNorm(x, param(name + ".weight"), param(name + ".bias"), eps);
  }

  static double[] layerNorm(double[] x, double[] weight, double[] bias, double eps) {
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    double inv = 1.0 / Math.sqrt(var + eps);
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - mean) * inv * weight[i] + bias[i];
    }
    return y;
  }

  private double[] param(String name) {
    double[] v = p.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing parameter '" + name + "'; have " + p.keySet());
    }
    return v;
  }

  private double[] headOf(double[] row, int head) {
    double[] out = new double[k];
    System.arraycopy(row, head * k, out, 0, k);
    return out;
  }

  private void putHead(double[] row, int head, double[] values) {
    System.arraycopy(values, 0, row, head * k, k);
  }

  private static double[][] scale(double[][] x, double s) {
    double[][] y = new double[x.length][];
    for (int t = 0; t < x.length; t++) {
      y[t] = scaleRow(x[t], s);
    }
    return y;
  }

  private static double[] scaleRow(double[] x, double s) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * s;
    }
    return y;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
