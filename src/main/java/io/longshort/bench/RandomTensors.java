package io.longshort.bench;

import io.longshort.spec.ModelSpec;
import java.util.Random;
import java.util.SplittableRandom;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.types.TFloat32;

/**
 * Random inputs for the benchmarks: large tensors filled chunk by chunk in native memory, so that a
 * million-token input needs no Java array of its size, and a classifier's random batch.
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

  /** A classifier batch: token ids and mask (B, N), every position a token, and labels (B). */
  record ClassifierBatch(int[] ids, int[] mask, int[] labels) {}

  /** Ids drawn from 1 .. vocab - 1 (0 is padding), labels from the spec's classes; seed 0. */
  static ClassifierBatch classifierBatch(ModelSpec spec, int batch, int length) {
    Random rnd = new Random(0);
    int[] ids = new int[batch * length];
    int[] mask = new int[batch * length];
    int[] labels = new int[batch];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1 + rnd.nextInt(spec.vocabSize() - 1);
      mask[i] = 1;
    }
    for (int i = 0; i < batch; i++) {
      labels[i] = rnd.nextInt(spec.classes());
    }
    return new ClassifierBatch(ids, mask, labels);
  }

  /**
   * A padded classifier batch drawn from {@code seed}: each row a random real length (at least 1) of
   * ids from 1 .. vocab - 1, padding (id 0, mask 0) after it, and its label.
   */
  static ClassifierBatch paddedClassifierBatch(ModelSpec spec, int batch, int length, long seed) {
    Random rnd = new Random(seed);
    int[] ids = new int[batch * length];
    int[] mask = new int[batch * length];
    int[] labels = new int[batch];
    for (int b = 0; b < batch; b++) {
      int real = 1 + rnd.nextInt(length);
      for (int t = 0; t < real; t++) {
        ids[b * length + t] = 1 + rnd.nextInt(spec.vocabSize() - 1);
        mask[b * length + t] = 1;
      }
      labels[b] = rnd.nextInt(spec.classes());
    }
    return new ClassifierBatch(ids, mask, labels);
  }
}
