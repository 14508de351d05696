package io.longshort.reference;

import io.longshort.spec.AttentionKind;
import io.longshort.spec.ImageAttentionSpec;
import java.util.Map;

/**
 * A plain-Java float64 reference of 2-D attention over G global tokens and an X x Y patch grid,
 * written from the equations of the authors' vision long-short attention (and ViL's full
 * attention) with loops over image coordinates, no padding, tiling or TensorFlow: a query at
 * (qr, qc) in window (qr / w, qc / w) looks at every in-image patch of the window's rows and
 * columns widened by E = max(w/2, 1) on each side.
 *
 * <p>Letters: G global tokens, L = X*Y patches, D width, H heads, K head width, w window, R rank.
 * Parameters keyed by PyTorch names (Linear weight [out, in] row-major).
 */
public final class ReferenceImageAttention {
  private final ImageAttentionSpec spec;
  private final Map<String, double[]> p;
  private final int d;
  private final int h;
  private final int k;
  private final int g;

  public ReferenceImageAttention(ImageAttentionSpec spec, Map<String, double[]> params) {
    this.spec = spec;
    this.p = params;
    d = spec.width();
    h = spec.heads();
    k = spec.headWidth();
    g = spec.globalTokens();
  }

  /** x (B, G + X*Y, D) row-major -> (B, G + X*Y, D). */
  public double[] apply(int batch, int gx, int gy, double[] x) {
    int n = g + gx * gy;
    double[] out = new double[batch * n * d];
    for (int b = 0; b < batch; b++) {
      double[][] xb = new double[n][d];
      for (int t = 0; t < n; t++) {
        System.arraycopy(x, (b * n + t) * d, xb[t], 0, d);
      }
      double[][] y = spec.kind() == AttentionKind.LONG_SHORT ? longShort(xb, gx, gy) : full(xb, gx, gy);
      for (int t = 0; t < n; t++) {
        System.arraycopy(y[t], 0, out, (b * n + t) * d, d);
      }
    }
    return out;
  }

  private double[][] longShort(double[][] x, int gx, int gy) {
    int l = gx * gy;
    int n = g + l;
    int w = spec.window();
    int r = spec.rank();
    int e = Math.max(w / 2, 1);
    double scale = 1 / Math.sqrt(k);
    double[][] q = new double[n][];
    double[][] key = new double[n][];
    double[][] val = new double[n][];
    for (int t = 0; t < n; t++) {
      double[] all = linear("qkv", x[t], 3 * d);
      q[t] = new double[d];
      key[t] = new double[d];
      val[t] = new double[d];
      for (int c = 0; c < d; c++) {
        q[t][c] = all[c] * scale;
        key[t][c] = all[d + c];
        val[t][c] = all[2 * d + c];
      }
      key[t] = layerNorm("dual_ln_full", key[t]);
      val[t] = layerNorm("dual_ln_full", val[t]);
    }
    // dynamic projection: P[head][j][patch], softmax over the L patches
    double[][] kBar = new double[r][d];
    double[][] vBar = new double[r][d];
    if (r > 0) {
      double[][] scores = new double[l][];
      for (int t = 0; t < l; t++) {
        scores[t] = linear("to_dynamic_projection", x[g + t], h * r);
      }
      for (int head = 0; head < h; head++) {
        for (int j = 0; j < r; j++) {
          double[] s = new double[l];
          for (int t = 0; t < l; t++) {
            s[t] = scores[t][head * r + j];
          }
          double[] pr = softmax(s);
          for (int t = 0; t < l; t++) {
            for (int c = head * k; c < (head + 1) * k; c++) {
              kBar[j][c] += pr[t] * key[g + t][c];
              vBar[j][c] += pr[t] * val[g + t][c];
            }
          }
        }
      }
      for (int j = 0; j < r; j++) {
        kBar[j] = layerNorm("dual_ln_dp", kBar[j]);
        vBar[j] = layerNorm("dual_ln_dp", vBar[j]);
      }
    }
    double[] table = p.get("local_relative_position_bias_table");
    int pad = w / 2;
    double[][] heads = new double[n][d];
    for (int i = 0; i < l; i++) {
      int qr = i / gy;
      int qc = i % gy;
      int top = qr / w * w - e;
      int left = qc / w * w - e;
      for (int head = 0; head < h; head++) {
        int lo = head * k;
        // keys in the order [R projected ; window patches ; G global]: one softmax
        int windowKeys = 0;
        int[] patch = new int[(w + 2 * e) * (w + 2 * e)];
        double[] logit = new double[r + patch.length + g];
        for (int j = 0; j < r; j++) {
          logit[j] = dot(q[g + i], kBar[j], lo);
        }
        for (int pr = top; pr < top + w + 2 * e; pr++) {
          for (int pc = left; pc < left + w + 2 * e; pc++) {
            if (pr < 0 || pr >= gx || pc < 0 || pc >= gy) {
              continue;
            }
            int t = pr * gy + pc;
            double bias = 0;
            if (table != null) {
              int row = qr % w - (pr - top) + 2 * pad + w - 1;
              int col = qc % w - (pc - left) + 2 * pad + w - 1;
              bias = table[(row * (2 * pad + w) + col) * h + head];
            }
            patch[windowKeys] = t;
            logit[r + windowKeys] = dot(q[g + i], key[g + t], lo) + bias;
            windowKeys++;
          }
        }
        double[] used = new double[r + windowKeys + g];
        System.arraycopy(logit, 0, used, 0, r + windowKeys);
        for (int j = 0; j < g; j++) {
          used[r + windowKeys + j] = dot(q[g + i], key[j], lo);
        }
        double[] pr = softmax(used);
        for (int c = lo; c < lo + k; c++) {
          double v = 0;
          for (int j = 0; j < r; j++) {
            v += pr[j] * vBar[j][c];
          }
          for (int j = 0; j < windowKeys; j++) {
            v += pr[r + j] * val[g + patch[j]][c];
          }
          for (int j = 0; j < g; j++) {
            v += pr[r + windowKeys + j] * val[j][c];
          }
          heads[g + i][c] = v;
        }
      }
    }
    // global tokens: over [global keys ; patch outputs] with values [global values ; patch outputs]
    for (int j = 0; j < g; j++) {
      for (int head = 0; head < h; head++) {
        int lo = head * k;
        double[] logit = new double[g + l];
        for (int m = 0; m < g; m++) {
          logit[m] = dot(q[j], key[m], lo);
        }
        for (int t = 0; t < l; t++) {
          logit[g + t] = dot(q[j], heads[g + t], lo);
        }
        double[] pr = softmax(logit);
        for (int c = lo; c < lo + k; c++) {
          double v = 0;
          for (int m = 0; m < g; m++) {
            v += pr[m] * val[m][c];
          }
          for (int t = 0; t < l; t++) {
            v += pr[g + t] * heads[g + t][c];
          }
          heads[j][c] = v;
        }
      }
    }
    double[][] y = new double[n][];
    for (int t = 0; t < n; t++) {
      y[t] = linear("proj", heads[t], d);
    }
    return y;
  }

  private double[][] full(double[][] x, int gx, int gy) {
    int l = gx * gy;
    int n = g + l;
    double scale = 1 / Math.sqrt(k);
    double[][] all = new double[n][];
    for (int t = 0; t < n; t++) {
      all[t] = linear("qkv", x[t], 3 * d);
    }
    double[] table = p.get("local_relative_position_bias_table");
    double[] g2l = p.get("g2l_relative_position_bias");
    double[] g2g = p.get("g2g_relative_position_bias");
    double[][] heads = new double[n][d];
    for (int i = 0; i < n; i++) {
      for (int head = 0; head < h; head++) {
        int lo = head * k;
        double[] logit = new double[n];
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int c = lo; c < lo + k; c++) {
            s += all[i][c] * all[j][d + c];
          }
          logit[j] = s * scale;
          if (table != null) {
            if (i < g && j < g) {
              logit[j] += g2g[(head * g + i) * g + j];
            } else if (i < g) {
              logit[j] += g2l[(0 * h + head) * g + i];
            } else if (j < g) {
              logit[j] += g2l[(1 * h + head) * g + j];
            } else {
              int a = i - g;
              int b = j - g;
              int idx = (a / gy - b / gy + gx - 1) * (2 * gy - 1) + (a % gy - b % gy + gy - 1);
              logit[j] += table[idx * h + head];
            }
          }
        }
        double[] pr = softmax(logit);
        for (int c = lo; c < lo + k; c++) {
          double v = 0;
          for (int j = 0; j < n; j++) {
            v += pr[j] * all[j][2 * d + c];
          }
          heads[i][c] = v;
        }
      }
    }
    double[][] y = new double[n][];
    for (int t = 0; t < n; t++) {
      y[t] = linear("proj", heads[t], d);
    }
    return y;
  }

  private double dot(double[] a, double[] b, int lo) {
    double s = 0;
    for (int c = lo; c < lo + k; c++) {
      s += a[c] * b[c];
    }
    return s;
  }

  private double[] linear(String name, double[] in, int outWidth) {
    double[] weight = p.get(name + ".weight");
    double[] bias = p.get(name + ".bias");
    int inWidth = in.length;
    double[] y = new double[outWidth];
    for (int o = 0; o < outWidth; o++) {
      double s = bias == null ? 0 : bias[o];
      for (int c = 0; c < inWidth; c++) {
        s += weight[o * inWidth + c] * in[c];
      }
      y[o] = s;
    }
    return y;
  }

  private double[] layerNorm(String name, double[] v) {
    double mean = 0;
    for (double a : v) {
      mean += a;
    }
    mean /= v.length;
    double var = 0;
    for (double a : v) {
      var += (a - mean) * (a - mean);
    }
    var /= v.length;
    double inv = 1 / Math.sqrt(var + spec.layerNormEpsilon());
    double[] weight = p.get(name + ".weight");
    double[] bias = p.get(name + ".bias");
    double[] y = new double[v.length];
    for (int c = 0; c < v.length; c++) {
      y[c] = (v[c] - mean) * inv * weight[c] + bias[c];
    }
    return y;
  }

  private static double[] softmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double a : z) {
      max = Math.max(max, a);
    }
    double sum = 0;
    double[] y = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      y[i] = Math.exp(z[i] - max);
      sum += y[i];
    }
    for (int i = 0; i < z.length; i++) {
      y[i] /= sum;
    }
    return y;
  }
}
