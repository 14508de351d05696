package io.longshort.io;

import java.util.Arrays;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A row-major int32 or float32 array of a shape on the host (exactly one of ints, floats is set):
 * a batch's input, or an example request's.
 */
public record HostArray(long[] shape, int[] ints, float[] floats) {
  public static HostArray ints(long[] shape, int[] values) {
    return new HostArray(shape, values, null);
  }

  public static HostArray floats(long[] shape, float[] values) {
    return new HostArray(shape, null, values);
  }

  /** Rows [from, to) of the first dimension. */
  public HostArray rows(int from, int to) {
    long perRow = Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b);
    long[] s = shape.clone();
    s[0] = to - from;
    int a = Math.toIntExact(from * perRow);
    int b = Math.toIntExact(to * perRow);
    return ints != null ? ints(s, Arrays.copyOfRange(ints, a, b)) : floats(s, Arrays.copyOfRange(floats, a, b));
  }

  /** A new tensor (the caller closes it). */
  public Tensor tensor() {
    return ints != null ? TInt32.tensorOf(Shape.of(shape), DataBuffers.of(ints, true, false))
        : TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(floats, true, false));
  }
}
