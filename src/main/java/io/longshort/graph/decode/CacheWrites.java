package io.longshort.graph.decode;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Writing one row of a cache and masks over its rows, with static shapes: a select against a
 * one-hot row mask (SelectV2 broadcasts) rather than a scatter, so the step compiles with XLA and
 * the write is exact (no arithmetic on the old values). It costs one pass over the cache, which
 * the attention over that cache costs anyway.
 *
 * <p>Letters: B batch, A rows, Z columns.
 */
final class CacheWrites {
  private CacheWrites() {}

  /** cache (B, A, Z) with row {@code index} (scalar int32) replaced by value (B, Z). */
  static <T extends TFloating> Operand<T> writeRow(Ops tf, Operand<T> cache, Operand<TInt32> index, long m,
      Operand<T> value) {
    // (1, A, 1)
    Operand<TBool> at = Shapes.reshape(tf, tf.math.equal(rowIds(tf, m), index), 1, m, 1);
    return tf.select(at, tf.expandDims(value, tf.constant(1)), cache);
  }

  /** (A) int32 0..A-1. */
  static Operand<TInt32> rowIds(Ops tf, long m) {
    return tf.range(tf.constant(0), tf.constant(Math.toIntExact(m)), tf.constant(1));
  }

  /** Additive logit bias (1, 1, 1, A) that keeps rows where {@code visible} (A) holds. */
  static <T extends TFloating> Operand<T> keepBias(GraphScope<T> s, Operand<TBool> visible, long m) {
    Ops tf = s.tf();
    return Shapes.reshape(tf, AttentionOps.exclusionBias(s, tf.dtypes.cast(visible, s.dtype())), 1, 1, 1, m);
  }
}
