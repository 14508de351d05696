package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Sum;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TNumber;

/**
 * Sequence pooling, (B, N, D) -> (B, D): the masked mean over a row's real tokens or its first
 * token. Neither owns parameters. (The model spec's {@code pooling} field, which picks one of
 * these for the shipped token models, is {@link io.longshort.spec.Pooling}.)
 */
public final class Pooling {
  private Pooling() {}

  /**
   * The mean over each row's real tokens. A row without any real token gives 0 (its divisor is
   * clamped to 1), never NaN, and no gradient reaches its values.
   *
   * @param s the scope the ops are built in
   * @param x (B, N, D) with a static D
   * @param mask (B, N): 1 for a real token, 0 for padding (any number type; cast to x's dtype)
   * @return (B, D)
   */
  public static <T extends TFloating> Operand<T> mean(GraphScope<T> s, Operand<T> x, Operand<? extends TNumber> mask) {
    checkRank(x, 3, "Pooling.mean: x");
    checkRank(mask, 2, "Pooling.mean: mask");
    Ops tf = s.tf();
    // (B, N, 1)
    Operand<T> m = tf.expandDims(tf.dtypes.cast(mask, x.type()), tf.constant(-1));
    // (B, D) = sum over N of x * m
    Operand<T> sum = tf.sum(tf.math.mul(x, m), tf.constant(1), Sum.keepDims(false));
    // (B, 1): the number of real tokens, at least 1
    Operand<T> count = tf.math.maximum(tf.sum(m, tf.constant(1), Sum.keepDims(false)), s.scalar(1.0));
    return tf.math.div(sum, count);
  }

  /**
   * The first token of each row: the CLS token where the sequence starts with one.
   *
   * @param x (B, N, D) with a static D
   * @return (B, D)
   */
  public static <T extends TFloating> Operand<T> cls(GraphScope<T> s, Operand<T> x) {
    checkRank(x, 3, "Pooling.cls: x");
    int width = Shapes.staticDim(x, 2, "Pooling.cls: x");
    Ops tf = s.tf();
    // (B, 1, D) -> (B, D)
    return Shapes.reshape(tf, Shapes.slice(tf, x, new long[] {0, 0, 0}, new long[] {-1, 1, width}), -1, width);
  }

  private static void checkRank(Operand<?> x, int rank, String what) {
    int actual = x.shape().numDimensions();
    if (actual != rank) {
      throw new IllegalArgumentException(what + " has rank " + actual + " (shape " + x.shape() + "), expected "
          + rank + (rank == 3 ? " (B, N, D)" : " (B, N)"));
    }
  }
}
