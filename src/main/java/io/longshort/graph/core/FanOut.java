package io.longshort.graph.core;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * One tensor used several times, laid out so that its gradient is summed in a fixed order.
 *
 * <p>TF's gradient builder sums the gradients of a tensor's uses with one {@code AddN}. On the CPU
 * that kernel accumulates into the first of its inputs whose buffer it may take over (reference
 * count one), and which that is depends on which other kernels have finished: with three or more
 * inputs the order of the float additions, and so the last bits of the sum, change from run to
 * run. That broke the bit-exact resume of the authors'-LM training step (the uses of the queries,
 * keys and values in {@code ChunkedLongShortAttention}). Two inputs are safe (a + b == b + a
 * exactly), so this hands out the uses from a chain of {@code Identity} ops with at most two uses
 * each: every sum on the way back is an {@code AddN} of two. The identities cost nothing (they pass
 * the buffer on).
 */
public final class FanOut {
  private FanOut() {}

  /**
   * {@code n} operands equal to x, through a chain of identities: the first identity feeds the
   * first use and the next identity, and so on, the last feeding the last two uses. x itself has
   * one consumer here, so these uses add one term to x's gradient, whatever else reads x.
   */
  public static <T extends TType> List<Operand<T>> uses(Ops tf, Operand<T> x, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("FanOut.uses: n must be at least 1, got " + n);
    }
    List<Operand<T>> out = new ArrayList<>(n);
    Operand<T> node = tf.identity(x);
    for (int i = 0; i < n - 2; i++) {
      out.add(node);
      node = tf.identity(node);
    }
    out.add(node);
    if (n > 1) {
      out.add(node);
    }
    return out;
  }
}
