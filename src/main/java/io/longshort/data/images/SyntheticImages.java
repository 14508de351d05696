package io.longshort.data.images;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A generated image-classification set with visible structure: the class is the pattern
 * (horizontal, vertical, diagonal or anti-diagonal stripes, a square, a disc, a ring or a
 * checkerboard), drawn at a random phase, period, size and position in two random colours with
 * pixel noise, so that colour alone says nothing about the class. Seeded: the same arguments give
 * the same images.
 */
public final class SyntheticImages {
  public static final List<String> CLASSES = List.of("horizontal_stripes", "vertical_stripes",
      "diagonal_stripes", "antidiagonal_stripes", "square", "disc", "ring", "checkerboard");

  private SyntheticImages() {}

  /**
   * @param classes 2..8, the first patterns of {@link #CLASSES}
   * @param count images, labels cycling through the classes (balanced)
   * @param side S (at least 8)
   */
  public static ImageSet generate(int classes, int count, int side, long seed) {
    if (classes < 2 || classes > CLASSES.size()) {
      throw new IllegalArgumentException("classes (" + classes + ") must be in [2, " + CLASSES.size() + "]");
    }
    if (side < 8) {
      throw new IllegalArgumentException("side (" + side + ") must be >= 8 for the patterns to show");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count (" + count + ") must be >= 1");
    }
    int len = side * side * 3;
    float[] pixels = new float[count * len];
    int[] labels = new int[count];
    SplittableRandom root = new SplittableRandom(seed);
    for (int i = 0; i < count; i++) {
      SplittableRandom rnd = root.split();
      int label = i % classes;
      labels[i] = label;
      draw(rnd, label, side, pixels, i * len);
    }
    return new ImageSet(side, 3, pixels, labels, CLASSES.subList(0, classes));
  }

  private static void draw(SplittableRandom rnd, int label, int side, float[] out, int offset) {
    int[] fg = colour(rnd);
    int[] bg = colour(rnd);
    while (Math.abs(fg[0] - bg[0]) + Math.abs(fg[1] - bg[1]) + Math.abs(fg[2] - bg[2]) < 200) {
      bg = colour(rnd);
    }
    int period = 4 + rnd.nextInt(5);
    int phase = rnd.nextInt(period);
    int size = side / 4 + rnd.nextInt(side / 4 + 1);
    int cy = size / 2 + rnd.nextInt(Math.max(1, side - size));
    int cx = size / 2 + rnd.nextInt(Math.max(1, side - size));
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        boolean on = switch (label) {
          case 0 -> (y + phase) % period < period / 2;
          case 1 -> (x + phase) % period < period / 2;
          case 2 -> (x + y + phase) % period < period / 2;
          case 3 -> (x - y + side * period + phase) % period < period / 2;
          case 4 -> Math.abs(y - cy) <= size / 2 && Math.abs(x - cx) <= size / 2;
          case 5 -> sq(y - cy) + sq(x - cx) <= sq(size / 2);
          case 6 -> {
            int r2 = sq(y - cy) + sq(x - cx);
            yield r2 <= sq(size / 2) && r2 >= sq(Math.max(0, size / 2 - 2));
          }
          default -> ((y + phase) / (period / 2 + 1) + (x + phase) / (period / 2 + 1)) % 2 == 0;
        };
        int[] c = on ? fg : bg;
        int base = offset + (y * side + x) * 3;
        for (int ch = 0; ch < 3; ch++) {
          int v = Math.max(0, Math.min(255, c[ch] + (int) Math.round(rnd.nextGaussian() * 20)));
          out[base + ch] = ImageSet.normalise(v, ch, 3);
        }
      }
    }
  }

  private static int[] colour(SplittableRandom rnd) {
    return new int[] {rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)};
  }

  private static int sq(int v) {
    return v * v;
  }
}
