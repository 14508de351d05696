package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/** Shape plumbing with static int32 shape constants (XLA and TPUs want them static). */
public final class Shapes {
  private Shapes() {}

  /** Reshape to {@code dims}; -1 (at most once, normally the batch) is inferred. */
  public static <U extends TType> Operand<U> reshape(Ops tf, Operand<U> x, long... dims) {
    return tf.reshape(x, tf.constant(toInts(dims)));
  }

  public static <U extends TType> Operand<U> transpose(Ops tf, Operand<U> x, int... perm) {
    return tf.linalg.transpose(x, tf.constant(perm));
  }

  /** x[begin : begin + size] per axis; a size of -1 takes the rest of that axis. */
  public static <U extends TType> Operand<U> slice(Ops tf, Operand<U> x, long[] begin, long[] size) {
    return tf.slice(x, tf.constant(toInts(begin)), tf.constant(toInts(size)));
  }

  /** Zero-pads axis {@code axis} of a rank-{@code rank} tensor by (before, after). */
  public static <U extends TType> Operand<U> padAxis(Ops tf, Operand<U> x, Operand<U> zero, int rank,
      int axis, int before, int after) {
    if (before == 0 && after == 0) {
      return x;
    }
    int[][] paddings = new int[rank][2];
    paddings[axis][0] = before;
    paddings[axis][1] = after;
    return tf.pad(x, tf.constant(paddings), zero);
  }

  public static <U extends TType> Operand<U> concat(Ops tf, int axis, List<Operand<U>> parts) {
    return parts.size() == 1 ? parts.get(0) : tf.concat(parts, tf.constant(axis));
  }

  /** The static size of {@code axis}, failing clearly when it is unknown. */
  public static int staticDim(Operand<?> x, int axis, String what) {
    long d = x.shape().get(axis < 0 ? x.shape().numDimensions() + axis : axis);
    if (d < 0) {
      throw new IllegalArgumentException(what + " must have a static size on axis " + axis
          + " (shape " + x.shape() + "): long-short graphs are built for a fixed length and width");
    }
    return Math.toIntExact(d);
  }

  static int[] toInts(long[] dims) {
    int[] out = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      out[i] = Math.toIntExact(dims[i]);
    }
    return out;
  }
}
