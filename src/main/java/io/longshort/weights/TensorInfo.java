package io.longshort.weights;

import java.util.Arrays;

/** One tensor's entry in a safetensors header; offsets are absolute file positions. */
public record TensorInfo(String name, Dtype dtype, long[] shape, long begin, long end) {
  public long size() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }
}
