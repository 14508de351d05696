package io.longshort.bench;

import java.util.SplittableRandom;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.types.TFloat32;

/**
 * Large random input tensors filled chunk by chunk in native memory, so that a million-token
 * input needs no Java array of its size.
 */
final class RandomTensors {
  private static final int CHUNK = 1 << 20;

  private RandomTensors() {}

  /** Standard normal values (Box-Muller on a seeded SplittableRandom). */
  static TFloat32 normal(Shape shape, long seed) {
    TFloat32 t = TFloat32.tensorOf(shape);
    FloatDataBuffer data = t.asRawTensor().data().asFloats();
    SplittableRandom rnd = new SplittableRandom(seed);
    long size = shape.size();
    float[] chunk = new float[(int) Math.min(CHUNK, size)];
    for (long start = 0; start < size; start += chunk.length) {
      int len = (int) Math.min(chunk.length, size - start);
      for (int i = 0; i < len; i++) {
        double u = 1 - rnd.nextDouble();
        chunk[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble()));
      }
      data.slice(start, len).write(chunk, 0, len);
    }
    return t;
  }
}
