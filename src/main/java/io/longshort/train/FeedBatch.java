package io.longshort.train;

import io.longshort.graph.core.HostTensors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * One batch as row-major host arrays by feed name: the model's inputs (e.g. {@code input_ids},
 * {@code mask}, or {@code images}) and {@link #LABELS}. The first dimension of every array is the
 * batch B. {@code realRows} counts the rows of {@code losses}/{@code hits} that are real data (an
 * epoch's last batch may be filled up with padding rows): examples, or positions for language
 * models.
 */
public record FeedBatch(Map<String, Array> arrays, int realRows) {
  /** The key of the labels (language models: the next-byte targets). */
  public static final String LABELS = "labels";

  /** A row-major int32 or float32 array of a shape (exactly one of ints, floats is set). */
  public record Array(long[] shape, int[] ints, float[] floats) {
    public static Array ints(long[] shape, int[] values) {
      return new Array(shape, values, null);
    }

    public static Array floats(long[] shape, float[] values) {
      return new Array(shape, null, values);
    }

    /** Rows [from, to) of the first dimension. */
    public Array rows(int from, int to) {
      long perRow = Arrays.stream(shape).skip(1).reduce(1, (a, b) -> a * b);
      long[] s = shape.clone();
      s[0] = to - from;
      int a = Math.toIntExact(from * perRow);
      int b = Math.toIntExact(to * perRow);
      return ints != null ? ints(s, Arrays.copyOfRange(ints, a, b)) : floats(s, Arrays.copyOfRange(floats, a, b));
    }

    public Tensor tensor() {
      return ints != null ? HostTensors.ints(shape, ints)
          : TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(floats, true, false));
    }
  }

  public FeedBatch {
    arrays = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
  }

  /** B, the rows of the first dimension. */
  public int batchSize() {
    return Math.toIntExact(arrays.values().iterator().next().shape()[0]);
  }

  public Array get(String name) {
    Array a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("the batch has no '" + name + "'; it has " + arrays.keySet());
    }
    return a;
  }

  /** Rows [from, to) of every array (a replica's shard), with the real rows among them. */
  public FeedBatch rows(int from, int to) {
    Map<String, Array> out = new LinkedHashMap<>();
    arrays.forEach((k, v) -> out.put(k, v.rows(from, to)));
    // loss rows per example: 1, or N positions for language models
    Array labels = get(LABELS);
    int perExample = Math.toIntExact(java.util.Arrays.stream(labels.shape()).reduce(1, (a, b) -> a * b) / batchSize());
    int real = Math.max(0, Math.min(realRows - from * perExample, (to - from) * perExample));
    return new FeedBatch(out, real);
  }
}
