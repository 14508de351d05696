package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * The 16-bit floating dtypes and where graphs that compute in them widen to float32: reductions
 * whose accuracy matters (softmax, LayerNorm statistics, the loss) run in float32, matmuls and
 * elementwise ops in the 16-bit dtype.
 */
public final class Precision {
  private Precision() {}

  /** bfloat16 or float16. */
  public static boolean isNarrow(Class<? extends TFloating> type) {
    return type == TBfloat16.class || type == TFloat16.class;
  }

  /** x cast to float32 when it is bfloat16/float16; x itself otherwise (float32, float64 graphs are unchanged). */
  @SuppressWarnings("unchecked")
  public static <T extends TFloating, W extends TFloating> Operand<W> widen(Ops tf, Operand<T> x) {
    Class<T> type = x.type();
    return isNarrow(type) ? (Operand<W>) tf.dtypes.cast(x, TFloat32.class) : (Operand<W>) x;
  }

  /** x back to {@code type} (x itself when it has that dtype). */
  @SuppressWarnings("unchecked")
  static <T extends TFloating, W extends TFloating> Operand<T> narrow(Ops tf, Operand<W> x, Class<T> type) {
    return x.type() == type ? (Operand<T>) x : tf.dtypes.cast(x, type);
  }
}
