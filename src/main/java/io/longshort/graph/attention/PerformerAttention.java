package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.FeatureMap;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceMax;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * Performer, as performer_pytorch's non-causal {@code FastAttention} on the heads of W_q, W_k,
 * W_v: x' = K^-1/4 x for queries and keys, features phi(x') over the layer's random projection
 * W (F, K) ({@link PerformerFeatures}, {@link FeatureMap}), and linear attention
 * out = phi(Q) (phi(K)^T V) / (phi(Q) . sum_n phi(K)).
 *
 * <p>Keys and values of padding are masked as in the authors' LRA wrapper, and the features of
 * padded keys are zeroed too, so padding takes no share of the normaliser (their +eps features
 * would give it a small one), and FAVOR+'s key stabiliser is the maximum over real keys. The
 * authors' wrapper also divides Q and K by K^1/4 before FastAttention scales them again, which
 * makes FAVOR+ estimate softmax(Q K^T / K) instead of softmax(Q K^T / sqrt(K)); we keep the
 * standard temperature. Padded query rows are not zeroed, as in the other baselines.
 *
 * <p>Letters: B batch, N length, D width, H heads, K head width, F features. Nothing here is
 * N x N: the largest tensors are (B, H, N, F).
 *
 * <p>Parameters: W_q, W_k, W_v, W_o. The projection is a constant of the graph.
 */
final class PerformerAttention<T extends TFloating> implements AttentionLayer<T> {
  /** performer_pytorch's generalized_kernel epsilon. */
  static final double RELU_EPSILON = 1e-3;
  /** performer_pytorch's softmax_kernel epsilon. */
  static final double SOFTMAX_EPSILON = 1e-4;

  private final GraphScope<T> s;
  private final Ops tf;
  private final int h;
  private final int k;
  private final int f;
  private final FeatureMap map;
  private final Linear<T> wQ;
  private final Linear<T> wK;
  private final Linear<T> wV;
  private final Linear<T> wO;
  /** (F, K) */
  private final Operand<T> projection;

  PerformerAttention(GraphScope<T> s, AttentionSpec.Performer spec) {
    this.s = s;
    this.tf = s.tf();
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.f = spec.features();
    this.map = spec.featureMap();
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
    double[] w = PerformerFeatures.forLayer(spec, s.name());
    Operand<TFloat64> wide = tf.withName("projection").constant(Shape.of(f, k), DataBuffers.of(w, true, false));
    projection = s.dtype() == TFloat64.class ? (Operand<T>) (Operand<?>) wide : tf.dtypes.cast(wide, s.dtype());
  }

  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    // (B, 1, N, 1)
    Operand<T> keep = Shapes.reshape(tf, mask, -1, 1, n, 1);
    Operand<T> normalizer = s.scalar(Math.pow(k, -0.25));
    // (B, H, N, K)
    Operand<T> q = tf.math.mul(splitHeads(tf, wQ.apply(x), n, h, k), normalizer);
    Operand<T> kh = tf.math.mul(tf.math.mul(splitHeads(tf, wK.apply(x), n, h, k), keep), normalizer);
    Operand<T> v = tf.math.mul(splitHeads(tf, wV.apply(x), n, h, k), keep);
    // (B, H, N, F)
    Operand<T> phiQ = features(q, n, null);
    Operand<T> phiK = tf.math.mul(features(kh, n, keep), keep);
    // (B, H, F, K) = phi(K)^T V
    Operand<T> context = AttentionOps.einsum(tf, "bhnf,bhnk->bhfk", phiK, v);
    // (B, H, 1, F) key feature sums -> (B, H, N, 1) normaliser
    Operand<T> keySum = tf.reduceSum(phiK, tf.constant(2), ReduceSum.keepDims(true));
    Operand<T> denominator = AttentionOps.matmul(tf, phiQ, keySum, true);
    // (B, H, N, K); a row without any real key gets 0 rather than 0/0
    Operand<T> out = tf.math.divNoNan(AttentionOps.matmul(tf, phiQ, context, false), denominator);
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }

  /**
   * phi(x) (B, H, N, F) of x' (B, H, N, K), already scaled by K^-1/4.
   *
   * @param keep null for queries; for keys (B, 1, N, 1), whose FAVOR+ stabiliser is one maximum
   *     over the real keys of a batch row and head (performer_pytorch's amax over (-1, -2))
   */
  private Operand<T> features(Operand<T> x, int n, Operand<T> keep) {
    // (B*H*N, K) @ (F, K)^T -> (B, H, N, F)
    Operand<T> dash = Shapes.reshape(tf,
        tf.linalg.matMul(Shapes.reshape(tf, x, -1, k), projection, MatMul.transposeB(true)), -1, h, n, f);
    if (map == FeatureMap.RELU) {
      return tf.math.add(tf.nn.relu(dash), s.scalar(RELU_EPSILON));
    }
    // |x'|^2 / 2: (B, H, N, 1)
    Operand<T> half = tf.math.mul(tf.reduceSum(tf.math.square(x), tf.constant(-1), ReduceSum.keepDims(true)),
        s.scalar(0.5));
    Operand<T> max;
    if (keep == null) {
      max = tf.reduceMax(dash, tf.constant(-1), ReduceMax.keepDims(true));
    } else {
      // padded keys (exclusion bias) do not set the stabiliser: (B, H, 1, 1)
      Operand<T> biased = tf.math.add(dash, exclusionBias(s, keep));
      max = tf.reduceMax(biased, tf.constant(new int[] {2, 3}), ReduceMax.keepDims(true));
    }
    // performer_pytorch detaches the stabiliser, but with the +eps it does not cancel out of the
    // result exactly, so its gradient would miss a term: we differentiate through it (same forward)
    Operand<T> e = tf.math.exp(tf.math.sub(tf.math.sub(dash, half), max));
    return tf.math.mul(tf.math.add(e, s.scalar(SOFTMAX_EPSILON)), s.scalar(1.0 / Math.sqrt(f)));
  }
}
