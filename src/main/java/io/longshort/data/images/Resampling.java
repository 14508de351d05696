package io.longshort.data.images;

import io.longshort.spec.Enums;

/**
 * Pillow's resampling filters that {@link PilResize} implements, with Pillow's numbers (what
 * torchvision's {@code Resize(interpolation=)} and the authors' {@code INPUT.INTERPOLATION}
 * take: 2 bilinear, 3 bicubic).
 */
public enum Resampling {
  /** Pillow's BILINEAR (2): the triangle filter, support 1. */
  BILINEAR(2, 1.0),
  /** Pillow's BICUBIC (3): Keys' cubic with a = -0.5, support 2. */
  BICUBIC(3, 2.0);

  private final int pil;
  private final double support;

  Resampling(int pil, double support) {
    this.pil = pil;
    this.support = support;
  }

  /** Pillow's number of the filter (Image.BILINEAR = 2, Image.BICUBIC = 3). */
  public int pil() {
    return pil;
  }

  /** Half the filter's width at scale 1, in input pixels. */
  double support() {
    return support;
  }

  /** The filter's weight at distance {@code x} (Pillow's {@code bilinear_filter}, {@code bicubic_filter}). */
  double weight(double x) {
    x = Math.abs(x);
    if (this == BILINEAR) {
      return x < 1.0 ? 1.0 - x : 0.0;
    }
    double a = -0.5;
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  public String jsonName() {
    return Enums.jsonName(this);
  }

  /** {@code bilinear} or {@code bicubic}, or Pillow's number (2, 3); the error names {@code field}. */
  public static Resampling fromJson(String field, String value) {
    for (Resampling r : values()) {
      if (Integer.toString(r.pil).equals(value)) {
        return r;
      }
    }
    return Enums.fromJson(Resampling.class, field, value);
  }
}
