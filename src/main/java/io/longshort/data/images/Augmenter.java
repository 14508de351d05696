package io.longshort.data.images;

import java.util.SplittableRandom;

/**
 * Training-side augmentation: a random crop of the image zero-padded by {@code padding} pixels on
 * every side (zero is the mean colour after normalisation) and a horizontal flip with probability
 * 1/2, as the standard CIFAR recipe. Seeded per (seed, step, example), so a run sees the same
 * augmented batches every time.
 */
public final class Augmenter {
  private final int padding;
  private final boolean flip;
  private final long seed;

  public Augmenter(int padding, boolean flip, long seed) {
    if (padding < 0) {
      throw new IllegalArgumentException("padding (" + padding + ") must be >= 0");
    }
    this.padding = padding;
    this.flip = flip;
    this.seed = seed;
  }

  /** Image (S, S, C) -> a cropped and maybe flipped (S, S, C) copy. */
  public float[] apply(float[] image, int side, int channels, long step, int example) {
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + example);
    int dy = rnd.nextInt(2 * padding + 1) - padding;
    int dx = rnd.nextInt(2 * padding + 1) - padding;
    boolean mirror = flip && rnd.nextBoolean();
    float[] out = new float[image.length];
    for (int y = 0; y < side; y++) {
      int sy = y + dy;
      for (int x = 0; x < side; x++) {
        int sx = (mirror ? side - 1 - x : x) + dx;
        if (sy < 0 || sy >= side || sx < 0 || sx >= side) {
          continue;
        }
        System.arraycopy(image, (sy * side + sx) * channels, out, (y * side + x) * channels, channels);
      }
    }
    return out;
  }

  /** The settings, as a run's metadata records them. */
  @Override
  public String toString() {
    return "padding " + padding + ", flip " + flip + ", seed " + seed;
  }
}
