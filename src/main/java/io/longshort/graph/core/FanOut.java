package io.longshort.graph.core;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.family.TType;

/**
 * One tensor used several times, laid out so that its gradient is summed in a fixed order.
 *
 * <p>TF's gradient builder sums the gradients of a tensor's uses with one {@code AddN} (and
 * Grappler's arithmetic optimizer merges chains of sums into one). On the CPU that kernel adds into
 * the first of its inputs whose buffer it may take over (reference count one), moved to the
 * front, and which that is depends on which other kernels have finished: with three or more
 * inputs the order of the float additions, and so the last bits of the sum, change from run to
 * run. Here the n uses are the n slices of one (n, ...) tile of x: their gradients come back
 * stacked, and the tile's gradient sums them with one reduction over the leading axis, whose
 * order is fixed. x itself has one consumer, so the uses add one term to x's gradient.
 */
public final class FanOut {
  private FanOut() {}

  /** {@code n} operands equal to x (n >= 2): the slices of x tiled n times along a new leading axis. */
  public static <T extends TType> List<Operand<T>> uses(Ops tf, Operand<T> x, int n) {
    if (n < 2) {
      throw new IllegalArgumentException("FanOut.uses: n must be at least 2, got " + n);
    }
    int rank = x.shape().numDimensions();
    if (rank < 0) {
      throw new IllegalArgumentException("FanOut.uses: x needs a known rank, got shape " + x.shape());
    }
    int[] multiples = new int[rank + 1];
    java.util.Arrays.fill(multiples, 1);
    multiples[0] = n;
    // (...) -> (1, ...) -> (n, ...) -> n x (...)
    Operand<T> tiled = tf.tile(tf.expandDims(x, tf.constant(0)), tf.constant(multiples));
    Unstack<T> slices = tf.unstack(tiled, (long) n);
    return new ArrayList<>(slices.output());
  }
}
