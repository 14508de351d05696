package io.longshort.data.images;

import java.util.List;

/**
 * Labelled square images in memory, normalised, row-major NHWC: image i is
 * {@code pixels[i*S*S*C .. (i+1)*S*S*C)} with pixel (y, x) channel c at (y*S + x)*C + c.
 *
 * <p>Letters: N images, S side, C channels.
 */
public record ImageSet(int side, int channels, float[] pixels, int[] labels, List<String> classNames) {
  /** ImageNet's per-channel RGB mean and standard deviation (of values in [0, 1]), as torchvision. */
  public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] STD = {0.229f, 0.224f, 0.225f};

  public ImageSet {
    if (side < 1 || channels < 1) {
      throw new IllegalArgumentException("ImageSet: side (" + side + ") and channels (" + channels + ") must be >= 1");
    }
    if (pixels.length != (long) labels.length * side * side * channels) {
      throw new IllegalArgumentException("ImageSet: " + pixels.length + " pixel values for " + labels.length
          + " images of " + side + " x " + side + " x " + channels);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classNames.size()) {
        throw new IllegalArgumentException("ImageSet: label " + labels[i] + " of image " + i + " is not in [0, "
            + classNames.size() + ")");
      }
    }
    classNames = List.copyOf(classNames);
  }

  public int size() {
    return labels.length;
  }

  public int classes() {
    return classNames.size();
  }

  public int imageLength() {
    return side * side * channels;
  }

  /** A copy of image i's values. */
  public float[] image(int i) {
    float[] out = new float[imageLength()];
    System.arraycopy(pixels, i * imageLength(), out, 0, imageLength());
    return out;
  }

  /** Normalises an 8-bit value of channel c: (v / 255 - MEAN[c]) / STD[c] for RGB, (v / 255 - 0.5) / 0.5 otherwise. */
  public static float normalise(int value, int channel, int channels) {
    float u = value / 255f;
    return channels == 3 ? (u - MEAN[channel]) / STD[channel] : (u - 0.5f) / 0.5f;
  }

  /** The first {@code count} images (or all), e.g. to split a generated set. */
  public ImageSet slice(int from, int count) {
    float[] p = new float[count * imageLength()];
    System.arraycopy(pixels, from * imageLength(), p, 0, p.length);
    int[] l = new int[count];
    System.arraycopy(labels, from, l, 0, count);
    return new ImageSet(side, channels, p, l, classNames);
  }
}
