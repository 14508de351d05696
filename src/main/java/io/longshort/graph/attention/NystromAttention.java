package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.PseudoInverseStart;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceMax;
import org.tensorflow.types.family.TFloating;

/**
 * Nystromformer as the authors' LRA {@code attention_nystrom.py} inside their {@code Attention}
 * wrapper: Q and K masked and scaled by K^-1/4; landmarks Q~, K~ the means of M consecutive
 * segments of Np/M positions; output softmax(Q K~^T) pinv(softmax(Q~ K~^T)) softmax(Q~ K^T + mask)
 * V, the pseudo-inverse by 6 iterations of their cubic scheme from Z0 = A^T / max column sum
 * ({@link PseudoInverseStart}); plus the optional depth-wise convolution of the masked values.
 * With M = Np it is their exact softmax path. Padded query rows are not zeroed (nor are they in
 * the authors' module).
 *
 * <p>Letters: B batch, N length, Np = N rounded up to a multiple of M, D width, H heads, K head
 * width, M landmarks. Nothing here is N x N when M < Np: the largest tensors are (B, H, Np, M).
 *
 * <p>Parameters: W_q, W_k, W_v, W_o (the authors' {@code ff}), attn.conv (convKernel > 0).
 */
final class NystromAttention<T extends TFloating> implements AttentionLayer<T> {
  /** The authors' number of pseudo-inverse iterations. */
  static final int INVERSE_ITERATIONS = 6;

  private final GraphScope<T> s;
  private final Ops tf;
  private final int h;
  private final int k;
  private final int m;
  private final PseudoInverseStart start;
  private final Linear<T> wQ;
  private final Linear<T> wK;
  private final Linear<T> wV;
  private final Linear<T> wO;
  private final ValueConvolution<T> conv;

  NystromAttention(GraphScope<T> s, AttentionSpec.Nystrom spec) {
    this.s = s;
    this.tf = s.tf();
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.m = spec.landmarks();
    this.start = spec.inverseStart();
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
    conv = spec.convKernel() > 0 ? new ValueConvolution<>(s.child("attn").child("conv"), h, spec.convKernel()) : null;
  }

  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    int np = AttentionOps.roundUp(n, m);
    int segment = np / m;
    // (B, Np, D), (B, Np)
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    Operand<T> keep = Shapes.reshape(tf, valid, -1, 1, np, 1);
    // (B, 1, 1, Np) excludes padded keys
    Operand<T> keyBias = Shapes.reshape(tf, exclusionBias(s, valid), -1, 1, 1, np);
    Operand<T> quarter = s.scalar(1.0 / Math.sqrt(Math.sqrt(k)));
    // (B, H, Np, K)
    Operand<T> q = tf.math.mul(tf.math.mul(splitHeads(tf, wQ.apply(xp), np, h, k), keep), quarter);
    Operand<T> kh = tf.math.mul(tf.math.mul(splitHeads(tf, wK.apply(xp), np, h, k), keep), quarter);
    Operand<T> v = splitHeads(tf, wV.apply(xp), np, h, k);
    Operand<T> out;
    if (m == np) {
      // the authors' exact path: (B, H, Np, Np)
      Operand<T> p = AttentionOps.softmax(tf, tf.math.add(matmul(q, kh, true), keyBias));
      out = matmul(p, v, false);
    } else {
      // (B, H, M, K): means of consecutive segments
      Operand<T> qL = landmarks(q, segment);
      Operand<T> kL = landmarks(kh, segment);
      // (B, H, Np, M), (B, H, M, M), (B, H, M, Np)
      Operand<T> kernel1 = AttentionOps.softmax(tf, matmul(q, kL, true));
      Operand<T> kernel2 = AttentionOps.softmax(tf, matmul(qL, kL, true));
      Operand<T> kernel3 = AttentionOps.softmax(tf, tf.math.add(matmul(qL, kh, true), keyBias));
      // (B, H, Np, M) @ (B, H, M, K), in the authors' association order
      out = matmul(matmul(kernel1, pseudoInverse(kernel2), false), matmul(kernel3, v, false), false);
    }
    if (conv != null) {
      out = tf.math.add(out, conv.apply(tf.math.mul(v, keep), np, k));
    }
    // (B, N, D)
    out = AttentionOps.cropRows(tf, out, h, n, k);
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }

  /** (B, H, Np, K) -> (B, H, M, K). */
  private Operand<T> landmarks(Operand<T> x, int segment) {
    return tf.math.mean(Shapes.reshape(tf, x, -1, h, m, segment, k), tf.constant(3));
  }

  /**
   * The authors' iterative pseudo-inverse of a (B, H, M, M) kernel A: Z0 = A^T / max_j sum_i A_ij,
   * then Z <- Z/4 (13 I - AZ (15 I - AZ (7 I - AZ))), 6 times.
   */
  private Operand<T> pseudoInverse(Operand<T> a) {
    // (B, H, M): column sums
    Operand<T> columnSums = tf.reduceSum(a, tf.constant(-2));
    Operand<T> max = start == PseudoInverseStart.BATCH
        // one scalar over all batch rows and heads: the authors' "original"
        ? tf.reduceMax(columnSums, tf.constant(new int[] {0, 1, 2}))
        // (B, H, 1, 1)
        : tf.expandDims(tf.reduceMax(columnSums, tf.constant(-1), ReduceMax.keepDims(true)), tf.constant(-1));
    Operand<T> z = tf.math.div(Shapes.transpose(tf, a, 0, 1, 3, 2), max);
    // (M, M)
    Operand<T> eye = tf.linalg.matrixDiag(tf.fill(tf.constant(new int[] {m}), s.scalar(1.0)), tf.constant(0),
        tf.constant(m), tf.constant(m), s.scalar(0.0));
    for (int i = 0; i < INVERSE_ITERATIONS; i++) {
      Operand<T> az = matmul(a, z, false);
      Operand<T> inner = tf.math.sub(tf.math.mul(eye, s.scalar(7.0)), az);
      Operand<T> middle = tf.math.sub(tf.math.mul(eye, s.scalar(15.0)), matmul(az, inner, false));
      Operand<T> outer = tf.math.sub(tf.math.mul(eye, s.scalar(13.0)), matmul(az, middle, false));
      z = matmul(tf.math.mul(z, s.scalar(0.25)), outer, false);
    }
    return z;
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
