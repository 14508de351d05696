package io.longshort.graph.core;

import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Java arrays to and from tensors of the graph's floating dtype (row-major, flat). The caller
 * closes every tensor it gets.
 */
public final class HostTensors {
  private HostTensors() {}

  @SuppressWarnings("unchecked")
  public static <T extends TFloating> T of(Class<T> dtype, long[] shape, double[] values) {
    Shape s = Shape.of(shape);
    if (s.size() != values.length) {
      throw new IllegalArgumentException("shape " + s + " holds " + s.size() + " values, got " + values.length);
    }
    if (dtype == TFloat64.class) {
      return (T) TFloat64.tensorOf(s, DataBuffers.of(values, true, false));
    }
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    if (dtype == TFloat32.class) {
      return (T) TFloat32.tensorOf(s, DataBuffers.of(f, true, false));
    }
    if (dtype == TBfloat16.class) {
      return (T) TBfloat16.tensorOf(s, DataBuffers.of(f, true, false));
    }
    if (dtype == TFloat16.class) {
      return (T) TFloat16.tensorOf(s, DataBuffers.of(f, true, false));
    }
    throw new IllegalArgumentException("unsupported dtype " + dtype.getSimpleName());
  }

  public static TInt32 ints(long[] shape, int[] values) {
    return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
  }

  /** All values of an int32 tensor. */
  public static int[] toInts(Tensor t) {
    if (!(t instanceof TInt32 i)) {
      throw new IllegalArgumentException("not an int32 tensor: " + t.dataType());
    }
    int[] out = new int[Math.toIntExact(t.shape().size())];
    i.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  /** All values of a floating tensor, widened to double. */
  public static double[] toDoubles(Tensor t) {
    int n = Math.toIntExact(t.shape().size());
    double[] out = new double[n];
    if (t instanceof TFloat64 d) {
      d.copyTo(DataBuffers.of(out, false, false));
    } else if (t instanceof TFloat32 f) {
      float[] tmp = new float[n];
      f.copyTo(DataBuffers.of(tmp, false, false));
      for (int i = 0; i < n; i++) {
        out[i] = tmp[i];
      }
    } else if (t instanceof TBfloat16 b) {
      float[] tmp = new float[n];
      b.copyTo(DataBuffers.of(tmp, false, false));
      for (int i = 0; i < n; i++) {
        out[i] = tmp[i];
      }
    } else if (t instanceof TFloat16 h) {
      float[] tmp = new float[n];
      h.copyTo(DataBuffers.of(tmp, false, false));
      for (int i = 0; i < n; i++) {
        out[i] = tmp[i];
      }
    } else {
      throw new IllegalArgumentException("not a floating tensor: " + t.dataType());
    }
    return out;
  }
}
