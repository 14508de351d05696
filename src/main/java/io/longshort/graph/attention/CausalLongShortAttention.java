package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Max;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Causal long-short attention (the authors' autoregressive {@code ChunkedLSAttention} without
 * its Transformer-XL position terms and cache): a query at t sees the W most recent positions
 * t-W+1..t (LN_l-normalised keys/values) and the R projected vectors of every segment of length L
 * that ends before its own segment starts (LN_s of P_j^T X W^K, projection before the norm as in
 * the paper), under one softmax.
 *
 * <p>Letters: B batch, N length, Np = N rounded up to a multiple of lcm(W, L), D width, H heads,
 * K head width, W window, Q = Np/W query blocks, L segment, S = Np/L segments, R rank. The
 * largest tensors are (B, H, Np, 2W) and (B, H, Np, S*R): nothing is N x N while R < L.
 *
 * <p>Parameters: W_q, W_k, W_v, W_o, dual_ln_s (when R > 0), dual_ln_l, dconv_fc (when R > 0).
 */
final class CausalLongShortAttention<T extends TFloating> implements AttentionLayer<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int h;
  private final int k;
  private final int w;
  private final int l;
  private final int r;
  private final LongShortWeights<T> weights;

  CausalLongShortAttention(GraphScope<T> s, AttentionSpec.CausalLongShort spec) {
    this.s = s;
    this.tf = s.tf();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.w = spec.window();
    this.l = spec.segment();
    this.r = spec.rank();
    weights = new LongShortWeights<>(s, spec);
  }

  /** x (B, N, D), mask (B, N) -> (B, N, D); causal attention takes no CLS token. */
  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    int np = AttentionOps.roundUp(n, r > 0 ? lcm(w, l) : w);
    int blocks = np / w;
    double scale = 1.0 / Math.sqrt(k);

    // (B, Np, D), (B, Np)
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    Operand<T> bias = exclusionBias(s, valid);

    Operand<T> keys = weights.wK.apply(xp);
    Operand<T> values = weights.wV.apply(xp);
    // (B, H, Np, K)
    Operand<T> q = splitHeads(tf, tf.math.mul(weights.wQ.apply(xp), s.scalar(scale)), np, h, k);
    Operand<T> kl = splitHeads(tf, weights.dualLnL.apply(keys), np, h, k);
    Operand<T> vl = splitHeads(tf, weights.dualLnL.apply(values), np, h, k);

    // window: query block b (positions bW..bW+W-1) against key tiles [block b-1 ; block b]
    // (B, H, Q, W, K) and (B, H, Q, 2W, K)
    Operand<T> qTiles = Shapes.reshape(tf, q, -1, h, blocks, w, k);
    Operand<T> kTiles = AttentionOps.neighbourTiles(s, kl, h, blocks, w, k, w, 0);
    Operand<T> vTiles = AttentionOps.neighbourTiles(s, vl, h, blocks, w, k, w, 0);
    // (B, 1, Q, 1, 2W): keys before position 0 are zero-padded tiles, so excluded
    Operand<T> validTiles = Shapes.reshape(tf, AttentionOps.neighbourTiles(s,
        Shapes.reshape(tf, valid, -1, 1, np, 1), 1, blocks, w, 1, w, 0), -1, 1, blocks, 1, 2 * w);
    // (B, H, Q, W, 2W)
    Operand<T> windowLogits = tf.math.add(tf.math.add(matmul(qTiles, kTiles, true),
        exclusionBias(s, validTiles)), windowBias());

    // padded query rows attend to nothing: (B, 1, Q, W, 1)
    Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, blocks, w, 1);
    if (r == 0) {
      // (B, H, Q, W, 2W) @ (B, H, Q, 2W, K) -> (B, H, Np, K)
      Operand<T> windowProbs = tf.math.mul(AttentionOps.softmax(tf, windowLogits), keepQuery);
      Operand<T> out = Shapes.reshape(tf, matmul(windowProbs, vTiles, false), -1, h, np, k);
      // (B, N, D)
      return weights.wO.apply(mergeHeads(tf, AttentionOps.cropRows(tf, out, h, n, k), n, h, k));
    }
    int segments = np / l;
    int slots = segments * r;
    // per-segment softmax over its L positions: (B, Np, H*R) -> (B, H, S, R, L)
    Operand<T> scores = tf.math.add(weights.dconvFc.apply(xp), tf.expandDims(bias, tf.constant(2)));
    Operand<T> p = AttentionOps.softmax(tf, Shapes.transpose(tf,
        Shapes.reshape(tf, scores, -1, segments, l, h, r), 0, 3, 1, 4, 2));
    // projection before the norm: (B, H, S, L, K) -> (B, H, S, R, K) -> LN_s -> (B, H, S*R, K)
    Operand<T> kg = projectSegments(p, keys, segments, np);
    Operand<T> vg = projectSegments(p, values, segments, np);
    // (B, H, Q, W, S*R)
    Operand<T> globalLogits = Shapes.reshape(tf, matmul(q, kg, true), -1, h, blocks, w, slots);
    // a segment with no token in it offers no slots: (B, 1, 1, 1, S*R)
    Operand<T> segmentValid = tf.max(Shapes.reshape(tf, valid, -1, segments, l), tf.constant(2),
        Max.keepDims(true));
    Operand<T> slotValid = Shapes.reshape(tf,
        tf.tile(segmentValid, tf.constant(new int[] {1, 1, r})), -1, 1, 1, 1, slots);
    globalLogits = tf.math.add(tf.math.add(globalLogits, exclusionBias(s, slotValid)),
        earlierSegmentsBias(np, blocks, segments));
    // one joint softmax over [S*R slots ; 2W window keys], kept in its two blocks:
    // (B, H, Q, W, S*R) and (B, H, Q, W, 2W)
    List<Operand<T>> probs = AttentionOps.jointSoftmax(tf, List.of(globalLogits, windowLogits), keepQuery);
    // (B, H, Q, W, 2W) @ (B, H, Q, 2W, K) + (B, H, Np, S*R) @ (B, H, S*R, K) -> (B, H, Np, K)
    Operand<T> out = tf.math.add(Shapes.reshape(tf, matmul(probs.get(1), vTiles, false), -1, h, np, k),
        matmul(Shapes.reshape(tf, probs.get(0), -1, h, np, slots), vg, false));
    // (B, N, D)
    return weights.wO.apply(mergeHeads(tf, AttentionOps.cropRows(tf, out, h, n, k), n, h, k));
  }

  /** (B, H, S, R, L) weights x (B, Np, D) raw keys or values -> (B, H, S*R, K), LN_s-normalised. */
  private Operand<T> projectSegments(Operand<T> p, Operand<T> x, int segments, int np) {
    Operand<T> bySegment = Shapes.reshape(tf, splitHeads(tf, x, np, h, k), -1, h, segments, l, k);
    Operand<T> projected = Shapes.reshape(tf, matmul(p, bySegment, false), -1, h, segments * r, k);
    int slots = segments * r;
    return splitHeads(tf, weights.dualLnS.apply(mergeHeads(tf, projected, slots, h, k)), slots, h, k);
  }

  /**
   * Query i of a block sees tile key j (position bW - W + j) iff i < j <= i + W, i.e. the W most
   * recent positions including itself: (1, 1, 1, W, 2W), computed from two ranges at run time so
   * the graph holds no W x 2W constant (4 MB a layer at W = 512).
   */
  private Operand<T> windowBias() {
    Operand<TInt32> i = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(w), tf.constant(1)), 1, 1, 1, w, 1);
    Operand<TInt32> j = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(2 * w), tf.constant(1)), 1, 1, 1, 1, 2 * w);
    Operand<TBool> visible = tf.math.logicalAnd(tf.math.greater(j, i),
        tf.math.lessEqual(j, tf.math.add(i, tf.constant(w))));
    return exclusionBias(s, tf.dtypes.cast(visible, s.dtype()));
  }

  /**
   * Slot m (segment m / R) is visible to position t iff m / R < t / L, i.e. its segment ended
   * before t's segment began. Built from two small int vectors at run time, so the graph holds
   * no Np x S*R constant: (1, 1, Q, W, S*R).
   */
  private Operand<T> earlierSegmentsBias(int np, int blocks, int segments) {
    int[] querySegment = new int[np];
    for (int t = 0; t < np; t++) {
      querySegment[t] = t / l;
    }
    int[] slotSegment = new int[segments * r];
    for (int m = 0; m < slotSegment.length; m++) {
      slotSegment[m] = m / r;
    }
    Operand<TInt32> qs = Shapes.reshape(tf, tf.constant(querySegment), 1, 1, blocks, w, 1);
    Operand<TInt32> ss = Shapes.reshape(tf, tf.constant(slotSegment), 1, 1, 1, 1, segments * r);
    Operand<T> visible = tf.dtypes.cast(tf.math.less(ss, qs), s.dtype());
    return exclusionBias(s, visible);
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }

  private static int lcm(int a, int b) {
    int x = a;
    int y = b;
    while (y != 0) {
      int t = x % y;
      x = y;
      y = t;
    }
    return a / x * b;
  }
}
