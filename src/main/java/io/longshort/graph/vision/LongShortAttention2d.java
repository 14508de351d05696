package io.longshort.graph.vision;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.spec.ImageAttentionSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * 2-D long-short attention, as the authors' vision {@code AttentionLS}: patches grouped into w x w
 * windows whose queries see the window plus a margin of E = max(w/2, 1) patches on every side
 * (positions outside the image excluded), a learned relative-position bias on those window logits,
 * a dynamic projection of all patches onto R vectors per head, DualLN, G global tokens, and one
 * joint softmax over [R projected ; T*T window ; G global] keys.
 *
 * <p>As in the authors' vision code (unlike their LRA code) keys and values of every token, global
 * ones included, go through {@code dual_ln_full}; the projected ones then through
 * {@code dual_ln_dp}. A global token's query attends over [the global keys ; the patches' attention
 * outputs (before {@code proj})] with values [global values ; those outputs].
 *
 * <p>Images whose sides are not multiples of w are padded to whole windows; padded patches are
 * excluded as keys, from the projection's softmax over positions, and cropped as queries, so the
 * result equals attention over the image alone. The authors' code requires multiples of w.
 *
 * <p>Letters: B batch, G global tokens, X x Y the patch grid, P = X*Y patches, D width, H heads, K head
 * width, w window side, E margin, T = w + 2E, Xp x Yp the grid padded to multiples of w,
 * Np = Xp*Yp, SX x SY windows, R rank. The largest tensors are (B, H, SX, SY, w*w, R + T*T + G):
 * linear in P.
 *
 * <p>Parameters (PyTorch names): qkv, proj, to_dynamic_projection (R > 0), dual_ln_dp (R > 0),
 * dual_ln_full, local_relative_position_bias_table ((2(w + w/2 - 1)(2(w/2) + w + 1) + 1, H), with
 * relative positions).
 */
final class LongShortAttention2d<T extends TFloating> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int d;
  private final int h;
  private final int k;
  private final int w;
  private final int r;
  private final int e;
  private final int g;
  private final Linear<T> qkv;
  private final Linear<T> proj;
  private final Linear<T> dynamicProjection;
  private final LayerNorm<T> dualLnDp;
  private final LayerNorm<T> dualLnFull;
  private final Operand<T> biasTable;

  LongShortAttention2d(GraphScope<T> s, ImageAttentionSpec spec) {
    this.s = s;
    this.tf = s.tf();
    d = spec.width();
    h = spec.heads();
    k = spec.headWidth();
    w = spec.window();
    r = spec.rank();
    e = spec.margin();
    g = spec.globalTokens();
    qkv = Linear.create(s.child("qkv"), d, 3 * d);
    proj = Linear.create(s.child("proj"), d, d);
    dynamicProjection = r > 0 ? Linear.create(s.child("to_dynamic_projection"), d, r * h) : null;
    dualLnDp = r > 0 ? LayerNorm.create(s.child("dual_ln_dp"), d, spec.layerNormEpsilon()) : null;
    dualLnFull = LayerNorm.create(s.child("dual_ln_full"), d, spec.layerNormEpsilon());
    biasTable = spec.relativePositions()
        ? s.parameter("local_relative_position_bias_table", new long[] {biasTableRows(w), h},
            Initializer.normal(0.02))
        : null;
  }

  /** Rows of the authors' window bias table: 2 (w + P - 1)(2P + w + 1) + 1 with P = floor(w/2). */
  public static int biasTableRows(int w) {
    int pad = w / 2;
    return 2 * (w + pad - 1) * (2 * pad + w + 1) + 1;
  }

  /**
   * The authors' relative_position_index: for query (qr, qc) of a window and key (kr, kc) of its
   * T x T tile, (qr - kr + 2P + w - 1) * (2P + w) + (qc - kc + 2P + w - 1), laid out
   * (w*w, T*T) row-major. (The row stride 2P + w is narrower than the column range, so some
   * offsets share a row of the table: the authors' indexing, kept for weight compatibility.)
   */
  public static int[] biasIndex(int w) {
    int pad = w / 2;
    int t = w + 2 * pad;
    int[] index = new int[w * w * t * t];
    int i = 0;
    for (int qr = 0; qr < w; qr++) {
      for (int qc = 0; qc < w; qc++) {
        for (int kr = 0; kr < t; kr++) {
          for (int kc = 0; kc < t; kc++) {
            index[i++] = (qr - kr + 2 * pad + w - 1) * (2 * pad + w) + (qc - kc + 2 * pad + w - 1);
          }
        }
      }
    }
    return index;
  }

  /**
   * @param x (B, G + X*Y, D): the global tokens, then the patches row-major
   * @return (B, G + X*Y, D)
   */
  Operand<T> apply(Operand<T> x, int gx, int gy) {
    int l = gx * gy;
    int rows = Shapes.staticDim(x, 1, "attention input x");
    if (rows != g + l) {
      throw new IllegalArgumentException("attention '" + s.name() + "': input has " + rows + " rows, expected "
          + g + " global tokens + " + gx + " x " + gy + " patches");
    }
    int sx = AttentionOps.roundUp(gx, w) / w;
    int sy = AttentionOps.roundUp(gy, w) / w;
    int xp = sx * w;
    int yp = sy * w;
    int np = xp * yp;
    int t = w + 2 * e;
    int ww = w * w;
    double scale = 1.0 / Math.sqrt(k);

    // (B, G + P, D) each; keys and values of every token through dual_ln_full
    Operand<T> all = qkv.apply(x);
    Operand<T> q = tf.math.mul(rowsOf(all, 0, g + l, 0), s.scalar(scale));
    Operand<T> kAll = dualLnFull.apply(rowsOf(all, 0, g + l, d));
    Operand<T> vAll = dualLnFull.apply(rowsOf(all, 0, g + l, 2 * d));

    // (B, H, Np, K): the patches on the padded grid
    Operand<T> qh = splitHeads(tf, ImageGrid.pad(s, rowsOf(q, g, l, 0), gx, gy, xp, yp, d), np, h, k);
    Operand<T> kh = splitHeads(tf, ImageGrid.pad(s, rowsOf(kAll, g, l, 0), gx, gy, xp, yp, d), np, h, k);
    Operand<T> vh = splitHeads(tf, ImageGrid.pad(s, rowsOf(vAll, g, l, 0), gx, gy, xp, yp, d), np, h, k);

    List<Operand<T>> logits = new ArrayList<>();
    Operand<T> kBar = null;
    Operand<T> vBar = null;
    if (r > 0) {
      // (B, Np, H*R) + exclusion of padded patches -> softmax over positions -> (B, H, R, Np)
      Operand<T> xPatches = ImageGrid.pad(s, rowsOf(x, g, l, 0), gx, gy, xp, yp, d);
      Operand<T> scores = tf.math.add(dynamicProjection.apply(xPatches),
          ImageGrid.constant(s, paddingBias(gx, gy, xp, yp), 1, np, 1));
      Operand<T> p = Shapes.reshape(tf, AttentionOps.softmax(tf, Shapes.transpose(tf, scores, 0, 2, 1)),
          -1, h, r, np);
      // (B, H, R, K), DualLN's dual_ln_dp over the full width
      kBar = splitHeads(tf, dualLnDp.apply(mergeHeads(tf, matmul(p, kh, false), r, h, k)), r, h, k);
      vBar = splitHeads(tf, dualLnDp.apply(mergeHeads(tf, matmul(p, vh, false), r, h, k)), r, h, k);
      // (B, H, SX, SY, w*w, R)
      logits.add(ImageGrid.group(tf, matmul(qh, kBar, true), h, sx, sy, w, r));
    }

    // window logits (B, H, SX, SY, w*w, T*T), out-of-image keys excluded
    Operand<T> qTiles = ImageGrid.group(tf, qh, h, sx, sy, w, k);
    Operand<T> kTiles = ImageGrid.tiles(s, kh, h, sx, sy, w, e, k);
    Operand<T> vTiles = ImageGrid.tiles(s, vh, h, sx, sy, w, e, k);
    Operand<T> window = tf.math.add(matmul(qTiles, kTiles, true),
        ImageGrid.constant(s, keyBias(gx, gy, sx, sy), 1, 1, sx, sy, 1, (long) t * t));
    if (biasTable != null) {
      // (w*w*T*T, H) -> (1, H, 1, 1, w*w, T*T)
      Operand<TInt32> index = tf.constant(biasIndex(w));
      Operand<T> bias = Shapes.transpose(tf, tf.gather(biasTable, index, tf.constant(0)), 1, 0);
      window = tf.math.add(window, Shapes.reshape(tf, bias, 1, h, 1, 1, ww, (long) t * t));
    }
    logits.add(window);

    Operand<T> kc = null;
    Operand<T> vc = null;
    Operand<T> qc = null;
    if (g > 0) {
      // (B, H, G, K)
      qc = splitHeads(tf, rowsOf(q, 0, g, 0), g, h, k);
      kc = splitHeads(tf, rowsOf(kAll, 0, g, 0), g, h, k);
      vc = splitHeads(tf, rowsOf(vAll, 0, g, 0), g, h, k);
      logits.add(ImageGrid.group(tf, matmul(qh, kc, true), h, sx, sy, w, g));
    }

    // one joint softmax over [R projected ; T*T window ; G global] keys, kept in its blocks
    // (B, H, SX, SY, w*w, R), (.., T*T), (.., G); padded queries' rows zeroed
    List<Operand<T>> probs = AttentionOps.jointSoftmax(tf, logits,
        ImageGrid.constant(s, queryKeep(gx, gy, sx, sy), 1, 1, sx, sy, ww, 1));
    int windowBlock = r > 0 ? 1 : 0;

    // (B, H, Np, K)
    Operand<T> out = ImageGrid.ungroup(tf, matmul(probs.get(windowBlock), vTiles, false), h, sx, sy, w, k);
    if (r > 0) {
      Operand<T> dp = ImageGrid.ungroup(tf, probs.get(0), h, sx, sy, w, r);
      out = tf.math.add(out, matmul(dp, vBar, false));
    }
    if (g > 0) {
      Operand<T> toGlobal = ImageGrid.ungroup(tf, probs.get(windowBlock + 1), h, sx, sy, w, g);
      out = tf.math.add(out, matmul(toGlobal, vc, false));
    }
    // (B, H, P, K)
    out = ImageGrid.crop(tf, out, h, gx, gy, xp, yp, k);
    if (g > 0) {
      out = Shapes.concat(tf, 2, List.of(globalOutput(qc, kc, vc, out, l), out));
    }
    // (B, G + P, D)
    return proj.apply(mergeHeads(tf, out, g + l, h, k));
  }

  /**
   * The global tokens' queries attend over [global keys ; the patches' outputs C] with values
   * [global values ; C]: (B, H, G, K).
   */
  private Operand<T> globalOutput(Operand<T> qc, Operand<T> kc, Operand<T> vc, Operand<T> c, int l) {
    // one joint softmax over [G global keys ; P patch outputs]: (B, H, G, G) and (B, H, G, P)
    List<Operand<T>> p = AttentionOps.jointSoftmax(tf, List.of(matmul(qc, kc, true), matmul(qc, c, true)), null);
    return tf.math.add(matmul(p.get(0), vc, false), matmul(p.get(1), c, false));
  }

  /** x[:, from : from + count, col : col + D] of a (B, rows, C) tensor. */
  private Operand<T> rowsOf(Operand<T> x, int from, int count, int col) {
    return Shapes.slice(tf, x, new long[] {0, from, col}, new long[] {-1, count, d});
  }

  /** (Np): 0 for image patches, EXCLUDED for padding. */
  private static float[] paddingBias(int gx, int gy, int xp, int yp) {
    float[] b = new float[xp * yp];
    for (int p = 0; p < b.length; p++) {
      b[p] = ImageGrid.inImage(p, gx, gy, yp) ? 0f : (float) AttentionOps.EXCLUDED;
    }
    return b;
  }

  /** (SX, SY, T*T): 0 where window (i, j)'s tile key lies in the image, EXCLUDED elsewhere. */
  private float[] keyBias(int gx, int gy, int sx, int sy) {
    int t = w + 2 * e;
    float[] b = new float[sx * sy * t * t];
    Arrays.fill(b, (float) AttentionOps.EXCLUDED);
    int i = 0;
    for (int wi = 0; wi < sx; wi++) {
      for (int wj = 0; wj < sy; wj++) {
        for (int kr = 0; kr < t; kr++) {
          for (int kcol = 0; kcol < t; kcol++, i++) {
            int row = wi * w - e + kr;
            int col = wj * w - e + kcol;
            if (row >= 0 && row < gx && col >= 0 && col < gy) {
              b[i] = 0f;
            }
          }
        }
      }
    }
    return b;
  }

  /** (SX, SY, w*w): 1 for queries in the image, 0 for padding. */
  private float[] queryKeep(int gx, int gy, int sx, int sy) {
    float[] m = new float[sx * sy * w * w];
    int i = 0;
    for (int wi = 0; wi < sx; wi++) {
      for (int wj = 0; wj < sy; wj++) {
        for (int qr = 0; qr < w; qr++) {
          for (int qcol = 0; qcol < w; qcol++, i++) {
            m[i] = wi * w + qr < gx && wj * w + qcol < gy ? 1f : 0f;
          }
        }
      }
    }
    return m;
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
