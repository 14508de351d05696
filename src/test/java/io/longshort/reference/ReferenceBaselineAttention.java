package io.longshort.reference;

import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.FeatureMap;
import io.longshort.spec.PseudoInverseStart;
import java.util.Map;

/**
 * A plain-Java float64 reference of the baseline kinds with projections (linformer, nystrom,
 * performer), written from the papers' equations as the authors' LRA modules (and
 * performer_pytorch's FastAttention) state them:
 * loops over batch rows, heads and positions, no TensorFlow. Nystrom's authors' pseudo-inverse
 * start couples a batch's rows, so this works on the whole batch at once.
 *
 * <p>Letters: B batch, N length, Np padded length, D width, H heads, K = D/H, R Linformer's
 * projected length, M landmarks, C convolution size. Parameters by PyTorch name: W_q, W_k, W_v, W_o
 * (Linear weight [out, in], y = x W^T + b), attn.E (H, R, Np), attn.conv.weight (H, 1, C, 1), and
 * for Performer its random projection under "projection" (F, K); BigBird takes its random plan
 * (H, S - 2, R) as a constructor argument.
 */
public final class ReferenceBaselineAttention {
  private final AttentionSpec spec;
  private final Map<String, double[]> p;
  private final int d;
  private final int h;
  private final int k;

  private int[][][] randomPlan;

  /** BigBird: the random key blocks (H, S - 2, R) of query blocks 1 .. S - 2. */
  public ReferenceBaselineAttention withRandomPlan(int[][][] plan) {
    this.randomPlan = plan;
    return this;
  }

  public ReferenceBaselineAttention(AttentionSpec spec, Map<String, double[]> params) {
    if (spec.kind() != AttentionKind.LINFORMER && spec.kind() != AttentionKind.NYSTROM
        && spec.kind() != AttentionKind.PERFORMER && spec.kind() != AttentionKind.LONGFORMER
        && spec.kind() != AttentionKind.BIGBIRD) {
      throw new IllegalArgumentException("not a baseline spec: " + spec);
    }
    this.spec = spec;
    this.p = params;
    this.d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
  }

  /**
   * @param x (B, N, D) row-major
   * @param mask (B, N), 1 = token, 0 = padding
   * @return (B, N, D); padded rows are not zeroed, as in the authors' modules
   */
  public double[] apply(int batch, int n, double[] x, double[] mask) {
    if (spec.kind() == AttentionKind.LONGFORMER) {
      return longformer(batch, n, x, mask);
    }
    if (spec.kind() == AttentionKind.BIGBIRD) {
      return bigBird(batch, n, x, mask);
    }
    int np = switch (spec.kind()) {
      case LINFORMER -> spec.maxLength() > 0 ? spec.maxLength() : n;
      case NYSTROM -> (n + spec.landmarks() - 1) / spec.landmarks() * spec.landmarks();
      default -> n;
    };
    // [b][head][t][c] projections over the padded length; padding rows of x are zeros
    double[][][][] q = new double[batch][h][np][k];
    double[][][][] kk = new double[batch][h][np][k];
    double[][][][] v = new double[batch][h][np][k];
    boolean[][] valid = new boolean[batch][np];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < np; t++) {
        double[] row = new double[d];
        if (t < n) {
          System.arraycopy(x, (b * n + t) * d, row, 0, d);
          valid[b][t] = mask[b * n + t] != 0;
        }
        double[] qr = linear(row, "W_q");
        double[] kr = linear(row, "W_k");
        double[] vr = linear(row, "W_v");
        for (int head = 0; head < h; head++) {
          for (int c = 0; c < k; c++) {
            q[b][head][t][c] = qr[head * k + c];
            kk[b][head][t][c] = kr[head * k + c];
            v[b][head][t][c] = vr[head * k + c];
          }
        }
      }
    }
    double[][][][] out = switch (spec.kind()) {
      case LINFORMER -> linformer(q, kk, v, valid, np);
      case NYSTROM -> nystrom(q, kk, v, valid, np);
      default -> performer(q, kk, v, valid, np);
    };
    if (spec.convKernel() > 0) {
      addConvolution(out, v, valid, np);
    }
    double[] y = new double[batch * n * d];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < n; t++) {
        double[] merged = new double[d];
        for (int head = 0; head < h; head++) {
          System.arraycopy(out[b][head][t], 0, merged, head * k, k);
        }
        System.arraycopy(linear(merged, "W_o"), 0, y, (b * n + t) * d, d);
      }
    }
    return y;
  }

  /** K' = E (K * mask), V' = E (V * mask); out = softmax(Q K'^T / sqrt(K)) V'. */
  private double[][][][] linformer(double[][][][] q, double[][][][] kk, double[][][][] v, boolean[][] valid, int np) {
    int batch = q.length;
    int r = spec.rank();
    double[] e = p.get("attn.E");
    double[][][][] out = new double[batch][h][np][k];
    for (int b = 0; b < batch; b++) {
      for (int head = 0; head < h; head++) {
        double[][] kp = new double[r][k];
        double[][] vp = new double[r][k];
        for (int i = 0; i < r; i++) {
          for (int t = 0; t < np; t++) {
            if (!valid[b][t]) {
              continue;
            }
            double w = e[(head * r + i) * np + t];
            for (int c = 0; c < k; c++) {
              kp[i][c] += w * kk[b][head][t][c];
              vp[i][c] += w * v[b][head][t][c];
            }
          }
        }
        for (int t = 0; t < np; t++) {
          double[] logits = new double[r];
          for (int i = 0; i < r; i++) {
            logits[i] = dot(q[b][head][t], kp[i]) / Math.sqrt(k);
          }
          out[b][head][t] = weighted(softmax(logits, null), vp);
        }
      }
    }
    return out;
  }

  /**
   * Q, K masked and scaled by K^-1/4; landmarks the means of M segments;
   * out = softmax(Q Kl^T) pinv(softmax(Ql Kl^T)) softmax(Ql K^T, padded keys excluded) V,
   * or with M = Np the exact masked softmax.
   */
  private double[][][][] nystrom(double[][][][] q, double[][][][] kk, double[][][][] v, boolean[][] valid, int np) {
    int batch = q.length;
    int m = spec.landmarks();
    int seg = np / m;
    double quarter = 1.0 / Math.sqrt(Math.sqrt(k));
    for (int b = 0; b < batch; b++) {
      for (int head = 0; head < h; head++) {
        for (int t = 0; t < np; t++) {
          for (int c = 0; c < k; c++) {
            double keep = valid[b][t] ? quarter : 0;
            q[b][head][t][c] *= keep;
            kk[b][head][t][c] *= keep;
          }
        }
      }
    }
    double[][][][] out = new double[batch][h][np][];
    if (m == np) {
      for (int b = 0; b < batch; b++) {
        for (int head = 0; head < h; head++) {
          for (int t = 0; t < np; t++) {
            double[] logits = new double[np];
            for (int j = 0; j < np; j++) {
              logits[j] = dot(q[b][head][t], kk[b][head][j]);
            }
            out[b][head][t] = weighted(softmax(logits, valid[b]), v[b][head]);
          }
        }
      }
      return out;
    }
    double[][][][] a = new double[batch][h][][];
    double[][][][] ql = new double[batch][h][][];
    double[][][][] kl = new double[batch][h][][];
    double maxAll = 0;
    double[][] maxRow = new double[batch][h];
    for (int b = 0; b < batch; b++) {
      for (int head = 0; head < h; head++) {
        ql[b][head] = segmentMeans(q[b][head], m, seg);
        kl[b][head] = segmentMeans(kk[b][head], m, seg);
        a[b][head] = new double[m][];
        for (int i = 0; i < m; i++) {
          double[] logits = new double[m];
          for (int j = 0; j < m; j++) {
            logits[j] = dot(ql[b][head][i], kl[b][head][j]);
          }
          a[b][head][i] = softmax(logits, null);
        }
        for (int j = 0; j < m; j++) {
          double column = 0;
          for (int i = 0; i < m; i++) {
            column += a[b][head][i][j];
          }
          maxRow[b][head] = Math.max(maxRow[b][head], column);
        }
        maxAll = Math.max(maxAll, maxRow[b][head]);
      }
    }
    for (int b = 0; b < batch; b++) {
      for (int head = 0; head < h; head++) {
        double start = spec.inverseStart() == PseudoInverseStart.BATCH ? maxAll : maxRow[b][head];
        double[][] z = pseudoInverse(a[b][head], start);
        // kernel_3 V: (M, K)
        double[][] kv = new double[m][];
        for (int i = 0; i < m; i++) {
          double[] logits = new double[np];
          for (int j = 0; j < np; j++) {
            logits[j] = dot(ql[b][head][i], kk[b][head][j]);
          }
          kv[i] = weighted(softmax(logits, valid[b]), v[b][head]);
        }
        double[][] zkv = matmul(z, kv);
        for (int t = 0; t < np; t++) {
          double[] logits = new double[m];
          for (int j = 0; j < m; j++) {
            logits[j] = dot(q[b][head][t], kl[b][head][j]);
          }
          out[b][head][t] = weighted(softmax(logits, null), zkv);
        }
      }
    }
    return out;
  }

  /**
   * x' = K^-1/4 x; keys and values masked; phi relu(x' W^T) + 1e-3, or FAVOR+
   * F^-1/2 (exp(x' W^T - |x'|^2/2 - max) + 1e-4) with the max per query row, or over all real keys
   * and features; padded keys' features 0; out = phi(q) sum_j phi(k_j) v_j / phi(q) . sum_j phi(k_j).
   */
  private double[][][][] performer(double[][][][] q, double[][][][] kk, double[][][][] v, boolean[][] valid, int n) {
    int batch = q.length;
    int f = spec.features();
    double[] w = p.get("projection");
    double scale = Math.pow(k, -0.25);
    double[][][][] out = new double[batch][h][n][];
    for (int b = 0; b < batch; b++) {
      for (int head = 0; head < h; head++) {
        double[][] dq = new double[n][f];
        double[][] dk = new double[n][f];
        double[] halfQ = new double[n];
        double[] halfK = new double[n];
        double keyMax = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
          double[] qs = new double[k];
          double[] ks = new double[k];
          for (int c = 0; c < k; c++) {
            qs[c] = q[b][head][t][c] * scale;
            ks[c] = valid[b][t] ? kk[b][head][t][c] * scale : 0;
            halfQ[t] += qs[c] * qs[c] / 2;
            halfK[t] += ks[c] * ks[c] / 2;
          }
          for (int j = 0; j < f; j++) {
            for (int c = 0; c < k; c++) {
              dq[t][j] += qs[c] * w[j * k + c];
              dk[t][j] += ks[c] * w[j * k + c];
            }
            if (valid[b][t]) {
              keyMax = Math.max(keyMax, dk[t][j]);
            }
          }
        }
        double[][] phiQ = new double[n][f];
        double[][] phiK = new double[n][f];
        for (int t = 0; t < n; t++) {
          double rowMax = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < f; j++) {
            rowMax = Math.max(rowMax, dq[t][j]);
          }
          for (int j = 0; j < f; j++) {
            if (spec.featureMap() == FeatureMap.RELU) {
              phiQ[t][j] = Math.max(dq[t][j], 0) + 1e-3;
              phiK[t][j] = Math.max(dk[t][j], 0) + 1e-3;
            } else {
              phiQ[t][j] = (Math.exp(dq[t][j] - halfQ[t] - rowMax) + 1e-4) / Math.sqrt(f);
              phiK[t][j] = (Math.exp(dk[t][j] - halfK[t] - keyMax) + 1e-4) / Math.sqrt(f);
            }
            if (!valid[b][t]) {
              phiK[t][j] = 0;
            }
          }
        }
        for (int t = 0; t < n; t++) {
          double[] num = new double[k];
          double den = 0;
          for (int j = 0; j < n; j++) {
            double a = dot(phiQ[t], phiK[j]);
            den += a;
            for (int c = 0; c < k; c++) {
              num[c] += a * (valid[b][j] ? v[b][head][j][c] : 0);
            }
          }
          for (int c = 0; c < k; c++) {
            num[c] = den == 0 ? 0 : num[c] / den;
          }
          out[b][head][t] = num;
        }
      }
    }
    return out;
  }

  /**
   * Longformer: a real query t among the first G positions attends to every real key with
   * query_global, key_global, value_global; any other real query to the real keys within
   * window/2 of it that are not among the first G, and to the real ones among the first G, with
   * query, key, value. Padded rows are 0 before W_o.
   */
  private double[] longformer(int batch, int n, double[] x, double[] mask) {
    int e = spec.window() / 2;
    int g = spec.globalTokens();
    double[] y = new double[batch * n * d];
    for (int b = 0; b < batch; b++) {
      double[][] rows = new double[n][d];
      boolean[] valid = new boolean[n];
      for (int t = 0; t < n; t++) {
        System.arraycopy(x, (b * n + t) * d, rows[t], 0, d);
        valid[t] = mask[b * n + t] != 0;
      }
      for (int t = 0; t < n; t++) {
        double[] merged = new double[d];
        if (valid[t]) {
          boolean global = t < g;
          String suffix = global ? "_global" : "";
          double[] q = linear(rows[t], "query" + suffix);
          for (int head = 0; head < h; head++) {
            double[] logits = new double[n];
            boolean[] keep = new boolean[n];
            double[][] values = new double[n][];
            for (int j = 0; j < n; j++) {
              keep[j] = valid[j] && (global || j < g || Math.abs(t - j) <= e);
              if (!keep[j]) {
                continue;
              }
              double[] kj = linear(rows[j], "key" + suffix);
              double[] vj = linear(rows[j], "value" + suffix);
              double dot = 0;
              for (int c = 0; c < k; c++) {
                dot += q[head * k + c] * kj[head * k + c];
              }
              logits[j] = dot / Math.sqrt(k);
              values[j] = new double[k];
              System.arraycopy(vj, head * k, values[j], 0, k);
            }
            double[] probs = softmax(logits, keep);
            for (int j = 0; j < n; j++) {
              if (keep[j]) {
                for (int c = 0; c < k; c++) {
                  merged[head * k + c] += probs[j] * values[j][c];
                }
              }
            }
          }
        }
        System.arraycopy(linear(merged, "W_o"), 0, y, (b * n + t) * d, d);
      }
    }
    return y;
  }

  /**
   * BigBird with blocks of W over the length padded to S W: a real query in block 0 or S - 1 sees
   * every real key; one in block i the real keys of blocks [0, 1, 2, S-1] (i = 1), [0, S-3, S-2,
   * S-1] (i = S - 2) or [i-1, i, i+1, 0, S-1], then of its random blocks (a block listed twice
   * counts twice); query, key, value; padded rows 0 before W_o.
   */
  private double[] bigBird(int batch, int n, double[] x, double[] mask) {
    int w = spec.blockSize();
    int blocks = (n + w - 1) / w;
    int np = blocks * w;
    double[] y = new double[batch * n * d];
    for (int b = 0; b < batch; b++) {
      double[][] q = new double[np][];
      double[][] kk = new double[np][];
      double[][] v = new double[np][];
      boolean[] valid = new boolean[np];
      for (int t = 0; t < np; t++) {
        double[] row = new double[d];
        if (t < n) {
          System.arraycopy(x, (b * n + t) * d, row, 0, d);
          valid[t] = mask[b * n + t] != 0;
        }
        q[t] = linear(row, "query");
        kk[t] = linear(row, "key");
        v[t] = linear(row, "value");
      }
      for (int t = 0; t < n; t++) {
        double[] merged = new double[d];
        int block = t / w;
        if (valid[t]) {
          for (int head = 0; head < h; head++) {
            java.util.List<Integer> keyBlocks = new java.util.ArrayList<>();
            if (block == 0 || block == blocks - 1) {
              for (int j = 0; j < blocks; j++) {
                keyBlocks.add(j);
              }
            } else {
              int[] fixed = block == 1 ? new int[] {0, 1, 2, blocks - 1}
                  : block == blocks - 2 ? new int[] {0, blocks - 3, blocks - 2, blocks - 1}
                  : new int[] {block - 1, block, block + 1, 0, blocks - 1};
              for (int f : fixed) {
                keyBlocks.add(f);
              }
              for (int r : randomPlan[head][block - 1]) {
                keyBlocks.add(r);
              }
            }
            int slots = keyBlocks.size() * w;
            double[] logits = new double[slots];
            boolean[] keep = new boolean[slots];
            for (int c = 0; c < slots; c++) {
              int j = keyBlocks.get(c / w) * w + c % w;
              keep[c] = valid[j];
              for (int f = 0; f < k; f++) {
                logits[c] += q[t][head * k + f] * kk[j][head * k + f] / Math.sqrt(k);
              }
            }
            double[] probs = softmax(logits, keep);
            for (int c = 0; c < slots; c++) {
              int j = keyBlocks.get(c / w) * w + c % w;
              if (keep[c]) {
                for (int f = 0; f < k; f++) {
                  merged[head * k + f] += probs[c] * v[j][head * k + f];
                }
              }
            }
          }
        }
        System.arraycopy(linear(merged, "W_o"), 0, y, (b * n + t) * d, d);
      }
    }
    return y;
  }

  /** Z0 = A^T / start; Z <- Z/4 (13 I - AZ (15 I - AZ (7 I - AZ))), 6 times. */
  static double[][] pseudoInverse(double[][] a, double start) {
    int m = a.length;
    double[][] z = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        z[i][j] = a[j][i] / start;
      }
    }
    for (int it = 0; it < 6; it++) {
      double[][] az = matmul(a, z);
      double[][] inner = minusFromIdentity(7, az);
      double[][] middle = minusFromIdentity(15, matmul(az, inner));
      double[][] outer = minusFromIdentity(13, matmul(az, middle));
      double[][] next = matmul(z, outer);
      for (double[] row : next) {
        for (int j = 0; j < m; j++) {
          row[j] *= 0.25;
        }
      }
      z = next;
    }
    return z;
  }

  /** out[t] += sum_j w[head][j] * (V * mask)[t + j - C/2], zeros outside [0, Np). */
  private void addConvolution(double[][][][] out, double[][][][] v, boolean[][] valid, int np) {
    int c = spec.convKernel();
    double[] w = p.get("attn.conv.weight");
    for (int b = 0; b < out.length; b++) {
      for (int head = 0; head < h; head++) {
        for (int t = 0; t < np; t++) {
          for (int j = 0; j < c; j++) {
            int src = t + j - c / 2;
            if (src < 0 || src >= np || !valid[b][src]) {
              continue;
            }
            for (int f = 0; f < k; f++) {
              out[b][head][t][f] += w[head * c + j] * v[b][head][src][f];
            }
          }
        }
      }
    }
  }

  private static double[][] segmentMeans(double[][] x, int m, int seg) {
    double[][] out = new double[m][x[0].length];
    for (int i = 0; i < m; i++) {
      for (int t = i * seg; t < (i + 1) * seg; t++) {
        for (int c = 0; c < x[0].length; c++) {
          out[i][c] += x[t][c] / seg;
        }
      }
    }
    return out;
  }

  private static double[][] minusFromIdentity(double scale, double[][] x) {
    int m = x.length;
    double[][] out = new double[m][m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < m; j++) {
        out[i][j] = (i == j ? scale : 0) - x[i][j];
      }
    }
    return out;
  }

  private static double[][] matmul(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int l = 0; l < b.length; l++) {
        for (int j = 0; j < b[0].length; j++) {
          out[i][j] += a[i][l] * b[l][j];
        }
      }
    }
    return out;
  }

  /** Softmax over the entries with keep[j] (all when keep is null); excluded entries get 0. */
  private static double[] softmax(double[] logits, boolean[] keep) {
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < logits.length; j++) {
      if (keep == null || keep[j]) {
        max = Math.max(max, logits[j]);
      }
    }
    double[] out = new double[logits.length];
    double sum = 0;
    for (int j = 0; j < logits.length; j++) {
      if (keep == null || keep[j]) {
        out[j] = Math.exp(logits[j] - max);
        sum += out[j];
      }
    }
    for (int j = 0; j < out.length; j++) {
      out[j] /= sum;
    }
    return out;
  }

  private static double[] weighted(double[] weights, double[][] rows) {
    double[] out = new double[rows[0].length];
    for (int i = 0; i < weights.length; i++) {
      for (int c = 0; c < out.length; c++) {
        out[c] += weights[i] * rows[i][c];
      }
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private double[] linear(double[] x, String name) {
    double[] w = p.get(name + ".weight");
    double[] bias = p.get(name + ".bias");
    int out = bias.length;
    int in = x.length;
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = bias[o];
      for (int i = 0; i < in; i++) {
        s += w[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }
}
