package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * BigBird, as Hugging Face transformers' {@code BigBirdBlockSparseAttention} followed by an output
 * projection W_o: blocks of W positions; query blocks 0 and S - 1 attend to every real key, every
 * other query block to the L key blocks of {@link BigBirdPlan} (its neighbours, the first and last
 * blocks, R random blocks), padded keys excluded, one softmax; padded query rows give 0.
 *
 * <p>The middle blocks' keys and values are gathered block-wise with the plan's constant indices
 * (one GatherV2 over the flattened (H x S) blocks: a C++ gradient and an XLA kernel), where
 * transformers gathers per case (first, second, band, second-to-last, last).
 *
 * <p>Letters: B batch, N length, Np = N rounded up to a multiple of W, D width, H heads, K head
 * width, W block size, S = Np/W blocks, M = S - 2 middle blocks, R random blocks, L = 5 + R key
 * blocks per middle block. Nothing here is N x N: the largest tensors are (B, H, M, W, L W) and
 * (B, H, 2W, Np).
 *
 * <p>Parameters (transformers' names): query, key, value, and W_o.
 */
final class BigBirdAttention<T extends TFloating> implements AttentionLayer<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final AttentionSpec.BigBird spec;
  private final int h;
  private final int k;
  private final int w;
  private final Linear<T> query;
  private final Linear<T> key;
  private final Linear<T> value;
  private final Linear<T> wO;

  BigBirdAttention(GraphScope<T> s, AttentionSpec.BigBird spec) {
    this.s = s;
    this.tf = s.tf();
    this.spec = spec;
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.w = spec.blockSize();
    query = Linear.create(s.child("query"), d, d);
    key = Linear.create(s.child("key"), d, d);
    value = Linear.create(s.child("value"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
  }

  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    int np = AttentionOps.roundUp(n, w);
    int blocks = np / w;
    int m = blocks - 2;
    BigBirdPlan.Lists lists = BigBirdPlan.lists(BigBirdPlan.random(spec, s.name(), blocks), blocks);
    int l = lists.slotValid()[0].length;
    double scale = 1.0 / Math.sqrt(k);
    // (B, Np, D), (B, Np)
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    // (B, H, Np, K)
    Operand<T> q = splitHeads(tf, tf.math.mul(query.apply(xp), s.scalar(scale)), np, h, k);
    Operand<T> kh = splitHeads(tf, key.apply(xp), np, h, k);
    Operand<T> vh = splitHeads(tf, value.apply(xp), np, h, k);

    // global query blocks 0 and S - 1 against every key: (B, H, 2W, Np)
    Operand<T> qFirst = Shapes.slice(tf, q, new long[] {0, 0, 0, 0}, new long[] {-1, h, w, k});
    Operand<T> qLast = Shapes.slice(tf, q, new long[] {0, 0, np - w, 0}, new long[] {-1, h, w, k});
    Operand<T> qGlobal = Shapes.concat(tf, 2, List.of(qFirst, qLast));
    Operand<T> globalLogits = tf.math.add(matmul(qGlobal, kh, true),
        Shapes.reshape(tf, exclusionBias(s, valid), -1, 1, 1, np));
    // (B, H, 2W, K)
    Operand<T> globalOut = matmul(AttentionOps.softmax(tf, globalLogits), vh, false);

    // middle query blocks: (B, H, M, W, K)
    Operand<T> qMiddle = Shapes.reshape(tf,
        Shapes.slice(tf, q, new long[] {0, 0, w, 0}, new long[] {-1, h, (long) m * w, k}), -1, h, m, w, k);
    // their key and value blocks: (B, H, M, L W, K); key validity (B, H, M, 1, L W)
    Operand<TInt32> index = flatIndex(lists.blocks(), blocks);
    Operand<T> keys = gatherBlocks(kh, index, blocks, m, l, k);
    Operand<T> values = gatherBlocks(vh, index, blocks, m, l, k);
    // (B, 1, Np, 1) tiled over heads: (B, H, Np, 1)
    Operand<T> validHeads = tf.math.add(Shapes.reshape(tf, valid, -1, 1, np, 1), tf.zeros(tf.constant(new int[] {1, h, 1, 1}), s.dtype()));
    Operand<T> keyValid = tf.math.mul(Shapes.reshape(tf, gatherBlocks(validHeads, index, blocks, m, l, 1), -1, h, m, 1, (long) l * w),
        slotValid(lists.slotValid(), l));
    Operand<T> logits = tf.math.add(matmul(qMiddle, keys, true), exclusionBias(s, keyValid));
    // (B, H, M, W, K)
    Operand<T> middleOut = matmul(AttentionOps.softmax(tf, logits), values, false);

    // (B, H, Np, K): [block 0 ; blocks 1 .. S - 2 ; block S - 1], padded query rows 0
    Operand<T> out = Shapes.concat(tf, 2, List.of(
        Shapes.slice(tf, globalOut, new long[] {0, 0, 0, 0}, new long[] {-1, h, w, k}),
        Shapes.reshape(tf, middleOut, -1, h, (long) m * w, k),
        Shapes.slice(tf, globalOut, new long[] {0, 0, w, 0}, new long[] {-1, h, w, k})));
    out = tf.math.mul(out, Shapes.reshape(tf, valid, -1, 1, np, 1));
    out = AttentionOps.cropRows(tf, out, h, n, k);
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }

  /** Head-major flat block indices head * S + block: (H * M * L). */
  private Operand<TInt32> flatIndex(int[][][] lists, int blocks) {
    int m = lists[0].length;
    int l = lists[0][0].length;
    int[] flat = new int[h * m * l];
    for (int head = 0; head < h; head++) {
      for (int i = 0; i < m; i++) {
        for (int c = 0; c < l; c++) {
          flat[(head * m + i) * l + c] = head * blocks + lists[head][i][c];
        }
      }
    }
    return tf.constant(flat);
  }

  /**
   * x (B, H, Np, F) -> (B, H, M, L W, F): block c of middle query block i of head h is block
   * lists[h][i][c] of head h.
   */
  private Operand<T> gatherBlocks(Operand<T> x, Operand<TInt32> index, int blocks, int m, int l, int f) {
    // (H * S, B, W * F)
    Operand<T> byBlock = Shapes.reshape(tf, Shapes.transpose(tf, Shapes.reshape(tf, x, -1, h, blocks, w, f), 1, 2, 0, 3, 4),
        (long) h * blocks, -1, (long) w * f);
    // (H * M * L, B, W * F) -> (H, M, L, B, W, F) -> (B, H, M, L, W, F)
    Operand<T> gathered = tf.gather(byBlock, index, tf.constant(0));
    Operand<T> blocked = Shapes.transpose(tf, Shapes.reshape(tf, gathered, h, m, l, -1, w, f), 3, 0, 1, 2, 4, 5);
    return Shapes.reshape(tf, blocked, -1, h, m, (long) l * w, f);
  }

  /** (M, L) slot validity -> (1, 1, M, 1, L W). */
  @SuppressWarnings("unchecked")
  private Operand<T> slotValid(double[][] slots, int l) {
    int m = slots.length;
    double[] v = new double[m * l * w];
    for (int i = 0; i < m; i++) {
      for (int c = 0; c < l; c++) {
        for (int t = 0; t < w; t++) {
          v[(i * l + c) * w + t] = slots[i][c];
        }
      }
    }
    Operand<TFloat64> wide = tf.constant(Shape.of(1, 1, m, 1, (long) l * w), DataBuffers.of(v, true, false));
    return s.dtype() == TFloat64.class ? (Operand<T>) (Operand<?>) wide : tf.dtypes.cast(wide, s.dtype());
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
