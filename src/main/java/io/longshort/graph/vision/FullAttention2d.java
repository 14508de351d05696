package io.longshort.graph.vision;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.spec.ImageAttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Full attention over G global tokens and an X x Y grid of patches, as ViL's {@code Attention}
 * that the authors use in their late stages: softmax(Q K^T / sqrt(K) + bias) V with, under
 * relative positions, a learned bias per head for every 2-D patch offset (Swin's table) and, with
 * global tokens, learned global-to-global and global-to-patch biases.
 *
 * <p>Letters: B batch, G global tokens, P = X*Y patches, N = G + P, D width, H heads, K head width.
 * Materialises (B, H, N, N): the quadratic baseline.
 *
 * <p>Parameters (PyTorch names): qkv, proj, and with relative positions
 * local_relative_position_bias_table ((2X - 1)(2Y - 1), H), g2l_relative_position_bias (2, H, G)
 * and g2g_relative_position_bias (H, G, G) (G > 0).
 */
final class FullAttention2d<T extends TFloating> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int d;
  private final int h;
  private final int k;
  private final int g;
  private final int gx;
  private final int gy;
  private final Linear<T> qkv;
  private final Linear<T> proj;
  private final Operand<T> localTable;
  private final Operand<T> g2l;
  private final Operand<T> g2g;

  /** Relative-position tables depend on the grid, so the layer is built for one X x Y. */
  FullAttention2d(GraphScope<T> s, ImageAttentionSpec spec, int gx, int gy) {
    this.s = s;
    this.tf = s.tf();
    d = spec.width();
    h = spec.heads();
    k = spec.headWidth();
    g = spec.globalTokens();
    this.gx = gx;
    this.gy = gy;
    qkv = Linear.create(s.child("qkv"), d, 3 * d);
    proj = Linear.create(s.child("proj"), d, d);
    boolean rpe = spec.relativePositions();
    localTable = rpe ? s.parameter("local_relative_position_bias_table",
        new long[] {(2L * gx - 1) * (2L * gy - 1), h}, Initializer.normal(0.02)) : null;
    g2l = rpe && g > 0 ? s.parameter("g2l_relative_position_bias", new long[] {2, h, g}, Initializer.normal(0.02)) : null;
    g2g = rpe && g > 0 ? s.parameter("g2g_relative_position_bias", new long[] {h, g, g}, Initializer.normal(0.02)) : null;
  }

  /** Swin's index: (ir - jr + X - 1) * (2Y - 1) + (ic - jc + Y - 1) for patches i, j, (P, P). */
  public static int[] biasIndex(int gx, int gy) {
    int l = gx * gy;
    int[] index = new int[l * l];
    for (int i = 0; i < l; i++) {
      for (int j = 0; j < l; j++) {
        index[i * l + j] = (i / gy - j / gy + gx - 1) * (2 * gy - 1) + (i % gy - j % gy + gy - 1);
      }
    }
    return index;
  }

  /** x (B, G + X*Y, D) -> (B, G + X*Y, D). */
  Operand<T> apply(Operand<T> x) {
    int l = gx * gy;
    int n = g + l;
    int rows = Shapes.staticDim(x, 1, "attention input x");
    if (rows != n) {
      throw new IllegalArgumentException("attention '" + s.name() + "': input has " + rows + " rows, expected "
          + g + " global tokens + " + gx + " x " + gy + " patches");
    }
    // (B, N, 3D) -> three (B, H, N, K)
    Operand<T> all = qkv.apply(x);
    Operand<T> q = splitHeads(tf, Shapes.slice(tf, all, new long[] {0, 0, 0}, new long[] {-1, n, d}), n, h, k);
    Operand<T> kk = splitHeads(tf, Shapes.slice(tf, all, new long[] {0, 0, d}, new long[] {-1, n, d}), n, h, k);
    Operand<T> v = splitHeads(tf, Shapes.slice(tf, all, new long[] {0, 0, 2L * d}, new long[] {-1, n, d}), n, h, k);
    // (B, H, N, N)
    Operand<T> logits = tf.math.mul(AttentionOps.matmul(tf, q, kk, true),
        s.scalar(1.0 / Math.sqrt(k)));
    if (localTable != null) {
      logits = tf.math.add(logits, Shapes.reshape(tf, positionBias(l), 1, h, n, n));
    }
    Operand<T> probs = AttentionOps.softmax(tf, logits);
    Operand<T> out = AttentionOps.matmul(tf, probs, v, false);
    return proj.apply(mergeHeads(tf, out, n, h, k));
  }

  /** (H, N, N): [[g2g, g2l[0] for every patch] ; [g2l[1] for every patch, the local table]]. */
  private Operand<T> positionBias(int l) {
    // (P*P, H) -> (H, P, P)
    Operand<T> local = Shapes.reshape(tf,
        Shapes.transpose(tf, tf.gather(localTable, tf.constant(biasIndex(gx, gy)), tf.constant(0)), 1, 0), h, l, l);
    if (g == 0) {
      return local;
    }
    // (H, G, 1) -> (H, G, P) and (H, 1, G) -> (H, P, G)
    Operand<T> globalToPatch = Shapes.reshape(tf,
        Shapes.slice(tf, g2l, new long[] {0, 0, 0}, new long[] {1, h, g}), h, g, 1);
    Operand<T> patchToGlobal = Shapes.reshape(tf,
        Shapes.slice(tf, g2l, new long[] {1, 0, 0}, new long[] {1, h, g}), h, 1, g);
    Operand<T> top = Shapes.concat(tf, 2, List.of(g2g,
        tf.broadcastTo(globalToPatch, tf.constant(new int[] {h, g, l}))));
    Operand<T> bottom = Shapes.concat(tf, 2, List.of(
        tf.broadcastTo(patchToGlobal, tf.constant(new int[] {h, l, g})), local));
    return Shapes.concat(tf, 1, List.of(top, bottom));
  }
}
