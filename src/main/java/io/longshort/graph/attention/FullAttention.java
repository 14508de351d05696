package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.spec.AttentionSpec;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Softmax attention over all keys (optionally causal): the baseline. It materialises (B, H, N, N).
 *
 * <p>Letters: B batch, N length, D width, H heads, K head width.
 *
 * <p>Parameters: W_q, W_k, W_v, W_o.
 */
final class FullAttention<T extends TFloating> implements AttentionLayer<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int h;
  private final int k;
  private final boolean causal;
  private final Linear<T> wQ;
  private final Linear<T> wK;
  private final Linear<T> wV;
  private final Linear<T> wO;

  FullAttention(GraphScope<T> s, AttentionSpec spec) {
    this.s = s;
    this.tf = s.tf();
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.causal = spec.kind().isCausal();
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
  }

  /** x (B, N, D), mask (B, N) -> (B, N, D); full attention takes no CLS token. */
  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    // (B, H, N, K)
    Operand<T> q = splitHeads(tf, tf.math.mul(wQ.apply(x), s.scalar(1.0 / Math.sqrt(k))), n, h, k);
    Operand<T> kh = splitHeads(tf, wK.apply(x), n, h, k);
    Operand<T> vh = splitHeads(tf, wV.apply(x), n, h, k);
    // (B, H, N, N) + (B, 1, 1, N) key padding
    Operand<T> logits = tf.math.add(AttentionOps.matmul(tf, q, kh, true),
        Shapes.reshape(tf, exclusionBias(s, mask), -1, 1, 1, n));
    if (causal) {
      Operand<TInt32> positions = tf.range(tf.constant(0), tf.constant(n), tf.constant(1));
      Operand<TInt32> rows = Shapes.reshape(tf, positions, n, 1);
      Operand<TInt32> cols = Shapes.reshape(tf, positions, 1, n);
      // (N, N): key j visible to query i iff j <= i
      logits = tf.math.add(logits, exclusionBias(s,
          tf.dtypes.cast(tf.math.lessEqual(cols, rows), s.dtype())));
    }
    Operand<T> probs = tf.math.mul(AttentionOps.softmax(tf, logits), Shapes.reshape(tf, mask, -1, 1, n, 1));
    // (B, N, D)
    Operand<T> out = AttentionOps.matmul(tf, probs, vh, false);
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }
}
