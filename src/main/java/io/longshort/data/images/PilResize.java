package io.longshort.data.images;

/**
 * Pillow's {@code Image.resize} of an 8-bit RGB image (what torchvision's {@code Resize} runs on
 * the authors' PIL images), reproduced value for value: a separable, antialiased convolution
 * (the filter widened by the scale when shrinking), horizontal pass then vertical pass, each
 * rounding to 8 bits, with Pillow's fixed-point weights (22 fraction bits, each weight rounded
 * half away from zero, sums clipped to 0..255).
 *
 * <p>Letters: W, H the input's width and height; w, h the output's.
 */
public final class PilResize {
  /** Pillow's PRECISION_BITS: 32 - 8 - 2, so that 255 x a weight sum fits an int with room to spare. */
  private static final int PRECISION_BITS = 22;

  private PilResize() {}

  /** {@code image} resized to {@code w x h} with {@code filter}; the same size returns it unchanged. */
  public static RgbImage resize(RgbImage image, int w, int h, Resampling filter) {
    if (w < 1 || h < 1) {
      throw new IllegalArgumentException("resize to " + w + " x " + h + ": both sides must be >= 1");
    }
    RgbImage out = image;
    if (w != image.width()) {
      out = horizontal(out, w, filter);
    }
    if (h != image.height()) {
      out = vertical(out, h, filter);
    }
    return out;
  }

  /** The weights of each output pixel along one axis: its first input pixel and fixed-point weights. */
  private record Weights(int[] first, int[][] weights) {}

  /**
   * Pillow's {@code precompute_coeffs} (box 0..inSize) then {@code normalize_coeffs_8bpc}: output
   * pixel i is centred at input coordinate (i + 0.5) x scale, and takes the input pixels within
   * support x max(scale, 1) of it, weighted by the filter at (distance / max(scale, 1)), normalised
   * to sum 1 before the rounding to fixed point.
   */
  private static Weights weights(int inSize, int outSize, Resampling filter) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support() * filterScale;
    double inverse = 1.0 / filterScale; // multiplied, as Pillow does, for the same roundings
    int[] first = new int[outSize];
    int[][] weights = new int[outSize][];
    for (int i = 0; i < outSize; i++) {
      double center = (i + 0.5) * scale;
      // Pillow rounds with a C cast of x + 0.5 (truncation toward zero)
      int min = Math.max(0, (int) (center - support + 0.5));
      int max = Math.min(inSize, (int) (center + support + 0.5));
      int n = max - min;
      double[] k = new double[n];
      double sum = 0;
      for (int x = 0; x < n; x++) {
        k[x] = filter.weight((x + min - center + 0.5) * inverse);
        sum += k[x];
      }
      int[] fixed = new int[n];
      for (int x = 0; x < n; x++) {
        double v = (sum != 0.0 ? k[x] / sum : k[x]) * (1 << PRECISION_BITS);
        fixed[x] = (int) (v < 0 ? v - 0.5 : v + 0.5);
      }
      first[i] = min;
      weights[i] = fixed;
    }
    return new Weights(first, weights);
  }

  /** Pillow's {@code clip8}: a fixed-point sum (with its half added) back to 0..255. */
  private static int clip8(int sum) {
    if (sum >= 255 << PRECISION_BITS) {
      return 255;
    }
    return sum <= 0 ? 0 : sum >> PRECISION_BITS;
  }

  /** (H, W, 3) -> (H, w, 3). */
  private static RgbImage horizontal(RgbImage in, int w, Resampling filter) {
    Weights c = weights(in.width(), w, filter);
    int width = in.width();
    int height = in.height();
    byte[] src = in.rgb();
    byte[] out = new byte[height * w * 3];
    for (int y = 0; y < height; y++) {
      int row = y * width * 3;
      for (int x = 0; x < w; x++) {
        int[] k = c.weights()[x];
        int from = row + c.first()[x] * 3;
        for (int ch = 0; ch < 3; ch++) {
          int sum = 1 << (PRECISION_BITS - 1);
          for (int j = 0; j < k.length; j++) {
            sum += (src[from + j * 3 + ch] & 0xff) * k[j];
          }
          out[(y * w + x) * 3 + ch] = (byte) clip8(sum);
        }
      }
    }
    return new RgbImage(w, height, out);
  }

  /** (H, W, 3) -> (h, W, 3). */
  private static RgbImage vertical(RgbImage in, int h, Resampling filter) {
    Weights c = weights(in.height(), h, filter);
    int width = in.width();
    byte[] src = in.rgb();
    byte[] out = new byte[h * width * 3];
    int stride = width * 3;
    for (int y = 0; y < h; y++) {
      int[] k = c.weights()[y];
      int from = c.first()[y] * stride;
      for (int i = 0; i < stride; i++) {
        int sum = 1 << (PRECISION_BITS - 1);
        for (int j = 0; j < k.length; j++) {
          sum += (src[from + j * stride + i] & 0xff) * k[j];
        }
        out[y * stride + i] = (byte) clip8(sum);
      }
    }
    return new RgbImage(width, h, out);
  }
}
