package io.longshort.data.images;

/**
 * How a decoded image becomes a model input of {@code side x side}: the one preprocessing of image
 * files (folders for train-image and eval-image). Either the whole image resized to S x S
 * ({@link #squash}), or the authors' evaluation ({@link #authorsEval}): the shorter side resized
 * to int(S / cropFraction) keeping the aspect ratio, then the centre S x S, as torchvision's
 * {@code Resize(int(S / crop_pct), interpolation)} then {@code CenterCrop(S)} in their
 * {@code dat/transforms/build.py}. Both resample with Pillow's filters ({@link PilResize}) and
 * normalise with {@link ImageSet#normalise} (ImageNet's mean and std, torchvision's ToTensor then
 * Normalize).
 *
 * @param cropFraction the centre crop's share of the resized shorter side, or 0 for a squash
 */
public record Preprocessing(int side, double cropFraction, Resampling resampling) {
  /** The authors' INPUT.CROP_PCT (config/defaults.py). */
  public static final double AUTHORS_CROP = 0.875;
  /** The authors' INPUT.INTERPOLATION: 3, bicubic (config/msvit.yaml; defaults.py has 2). */
  public static final Resampling AUTHORS_RESAMPLING = Resampling.BICUBIC;

  public Preprocessing {
    if (side < 1) {
      throw new IllegalArgumentException("image side (" + side + ") must be >= 1");
    }
    if (!(cropFraction == 0 || (cropFraction > 0 && cropFraction <= 1))) {
      throw new IllegalArgumentException("crop fraction (" + cropFraction + ") must be in (0, 1] (or 0: no crop)");
    }
    if (resampling == null) {
      throw new IllegalArgumentException("resampling is required (bilinear or bicubic)");
    }
  }

  /** The whole image to S x S, bilinear (train-image's folders). */
  public static Preprocessing squash(int side) {
    return new Preprocessing(side, 0, Resampling.BILINEAR);
  }

  /** The authors' evaluation at side S: shorter side to int(S / 0.875), bicubic, centre crop S. */
  public static Preprocessing authorsEval(int side) {
    return new Preprocessing(side, AUTHORS_CROP, AUTHORS_RESAMPLING);
  }

  /** The shorter side before the crop: Python's int(S / crop_pct), a truncation (438 for 384). */
  public int resizedShorterSide() {
    return cropFraction == 0 ? side : (int) (side / cropFraction);
  }

  /** Resized and cropped, 8-bit: (S, S, 3). */
  public RgbImage apply(RgbImage image) {
    if (cropFraction == 0) {
      return PilResize.resize(image, side, side, resampling);
    }
    int w = image.width();
    int h = image.height();
    int shorter = resizedShorterSide();
    // torchvision's Resize(int): the shorter side to `shorter`, the longer to int(shorter * long / short)
    int longer = (int) ((double) shorter * Math.max(w, h) / Math.min(w, h));
    int newW = w <= h ? shorter : longer;
    int newH = w <= h ? longer : shorter;
    RgbImage resized = PilResize.resize(image, newW, newH, resampling);
    if (newW < side || newH < side) {
      throw new IllegalArgumentException("image of " + w + " x " + h + " resized to " + newW + " x " + newH
          + " is smaller than the " + side + " x " + side + " crop");
    }
    // torchvision's CenterCrop: int(round((size - S) / 2.0)), Python rounding half to even
    int top = (int) Math.rint((newH - side) / 2.0);
    int left = (int) Math.rint((newW - side) / 2.0);
    return resized.crop(left, top, side, side);
  }

  /** {@link #apply} then normalised: (S, S, 3) float, ImageNet's mean and std. */
  public float[] normalised(RgbImage image) {
    RgbImage s = apply(image);
    byte[] rgb = s.rgb();
    float[] out = new float[rgb.length];
    for (int i = 0; i < rgb.length; i++) {
      out[i] = ImageSet.normalise(rgb[i] & 0xff, i % 3, 3);
    }
    return out;
  }

  @Override
  public String toString() {
    return cropFraction == 0 ? "resize to " + side + " x " + side + " (" + resampling.jsonName() + ")"
        : "shorter side to " + resizedShorterSide() + " (" + resampling.jsonName() + "), centre crop " + side
            + " x " + side;
  }
}
