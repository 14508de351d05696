package io.longshort.export;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** TensorProto (what TF Serving's requests carry) to and from tensors, for the dtypes our models take. */
public final class TensorProtos {
  private TensorProtos() {}

  public static TensorProto ints(long[] shape, int[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shape(shape));
    for (int v : values) {
      b.addIntVal(v);
    }
    return b.build();
  }

  public static TensorProto floats(long[] shape, float[] values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(shape));
    for (float v : values) {
      b.addFloatVal(v);
    }
    return b.build();
  }

  /** The proto of a host array (int32 or float32). */
  public static TensorProto of(io.longshort.io.HostArray a) {
    return a.ints() != null ? ints(a.shape(), a.ints()) : floats(a.shape(), a.floats());
  }

  public static TensorShapeProto shape(long[] shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDimBuilder().setSize(d);
    }
    return s.build();
  }

  public static long[] dims(TensorProto p) {
    return p.getTensorShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  /** A new tensor (the caller closes it) from an int32, int64 or float TensorProto. */
  public static Tensor toTensor(TensorProto p) {
    long[] dims = dims(p);
    Shape shape = Shape.of(dims);
    int n = Math.toIntExact(shape.size());
    ByteBuffer content = p.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    switch (p.getDtype()) {
      case DT_INT32 -> {
        int[] v = new int[n];
        if (!p.getTensorContent().isEmpty()) {
          content.asIntBuffer().get(v);
        } else {
          fill(p.getIntValCount(), n, i -> v[i] = p.getIntVal(Math.min(i, p.getIntValCount() - 1)));
        }
        return TInt32.tensorOf(shape, DataBuffers.of(v, true, false));
      }
      case DT_INT64 -> {
        long[] v = new long[n];
        if (!p.getTensorContent().isEmpty()) {
          content.asLongBuffer().get(v);
        } else {
          fill(p.getInt64ValCount(), n, i -> v[i] = p.getInt64Val(Math.min(i, p.getInt64ValCount() - 1)));
        }
        return TInt64.tensorOf(shape, DataBuffers.of(v, true, false));
      }
      case DT_FLOAT -> {
        float[] v = new float[n];
        if (!p.getTensorContent().isEmpty()) {
          content.asFloatBuffer().get(v);
        } else {
          fill(p.getFloatValCount(), n, i -> v[i] = p.getFloatVal(Math.min(i, p.getFloatValCount() - 1)));
        }
        return TFloat32.tensorOf(shape, DataBuffers.of(v, true, false));
      }
      default -> throw new IllegalArgumentException("unsupported TensorProto dtype " + p.getDtype());
    }
  }

  /** Values given one per element, or one for all (TensorProto's repeat-the-last rule). */
  private static void fill(int given, int n, java.util.function.IntConsumer set) {
    if (given != n && !(given == 1 && n > 0) && !(given == 0 && n == 0)) {
      throw new IllegalArgumentException("TensorProto holds " + given + " values for " + n + " elements");
    }
    for (int i = 0; i < n; i++) {
      set.accept(i);
    }
  }
}
