package io.longshort.data;

import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.io.HostArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Image sets as the training loop's {@link BatchSource}: {@code images} float32 (B, S, S, C) and
 * {@code labels} (B).
 */
public final class ImageData {
  private ImageData() {}

  /**
   * Shuffled, augmented batches: batch i is always the same images with the same crops (epoch
   * i / E shuffled by the seed and that epoch, E = size / B batches per epoch).
   *
   * @param augmenter null for none
   */
  public static BatchSource training(ImageSet set, int batchSize, long seed, Augmenter augmenter) {
    if (set.size() < batchSize) {
      throw new IllegalArgumentException("the training set has " + set.size() + " images, fewer than a batch ("
          + batchSize + ")");
    }
    return new BatchSource() {
      @Override
      public Batch batch(long step) {
        int perEpoch = set.size() / batchSize;
        long epoch = step / perEpoch;
        int[] order = permutation(set.size(), seed * 1_000_003L + epoch);
        int first = (int) (step % perEpoch) * batchSize;
        int len = set.imageLength();
        float[] pixels = new float[batchSize * len];
        int[] labels = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
          int i = order[first + b];
          float[] img = set.image(i);
          if (augmenter != null) {
            img = augmenter.apply(img, set.side(), set.channels(), step, b);
          }
          System.arraycopy(img, 0, pixels, b * len, len);
          labels[b] = set.labels()[i];
        }
        return ImageData.batch(set, batchSize, pixels, labels);
      }

      @Override
      public long batchesPerEpoch() {
        return set.size() / batchSize;
      }
    };
  }

  /** Every image once, in order, in batches of up to {@code batchSize} (the last may be smaller), no augmentation. */
  public static BatchSource evaluation(ImageSet set, int batchSize) {
    return new BatchSource() {
      @Override
      public Batch batch(long index) {
        int from = Math.toIntExact(index * batchSize);
        int n = Math.min(batchSize, set.size() - from);
        float[] pixels = new float[n * set.imageLength()];
        System.arraycopy(set.pixels(), from * set.imageLength(), pixels, 0, pixels.length);
        int[] labels = new int[n];
        System.arraycopy(set.labels(), from, labels, 0, n);
        return ImageData.batch(set, n, pixels, labels);
      }

      @Override
      public long batchesPerEpoch() {
        return (set.size() + batchSize - 1) / batchSize;
      }
    };
  }

  private static Batch batch(ImageSet set, int n, float[] pixels, int[] labels) {
    Map<String, HostArray> arrays = new LinkedHashMap<>();
    arrays.put("images", HostArray.floats(new long[] {n, set.side(), set.side(), set.channels()}, pixels));
    arrays.put(Batch.LABELS, HostArray.ints(new long[] {n}, labels));
    return new Batch(arrays, n);
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rnd = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
