package io.longshort.data.images;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * An 8-bit RGB image, row-major and interleaved: pixel (y, x) channel c at {@code (y*W + x)*3 + c}.
 * What Pillow's {@code Image.open(f).convert("RGB")} gives (the authors' loaders: torchvision's
 * ImageFolder); decoded by the JDK's ImageIO (JPEG, PNG, BMP, GIF).
 */
public record RgbImage(int width, int height, byte[] rgb) {
  public RgbImage {
    if (width < 1 || height < 1 || rgb.length != (long) width * height * 3) {
      throw new IllegalArgumentException("RgbImage: " + rgb.length + " bytes for " + width + " x " + height + " x 3");
    }
  }

  /** The value (0..255) of pixel (y, x), channel c. */
  public int at(int y, int x, int c) {
    return rgb[(y * width + x) * 3 + c] & 0xff;
  }

  /**
   * Decodes {@code file}; an error names the file when ImageIO cannot decode it (CMYK JPEGs, for
   * one, which Pillow reads).
   */
  public static RgbImage read(Path file) throws IOException {
    BufferedImage img;
    try {
      img = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": ImageIO cannot decode it: " + e.getMessage(), e);
    }
    if (img == null) {
      throw new IOException(file + ": not an image ImageIO can decode (JPEG, PNG, BMP, GIF)");
    }
    return of(img);
  }

  /**
   * The RGB values of {@code img}; alpha is dropped (Pillow's RGBA to RGB), a grey image repeats its
   * value in the three channels (Pillow's L to RGB). Grey pixels are read from the raster:
   * getRGB would pass them through Java's linear-grey colour space and brighten them.
   */
  public static RgbImage of(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[w * h * 3];
    if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      Raster raster = img.getRaster();
      int[] row = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, row);
        for (int x = 0; x < w; x++) {
          int i = (y * w + x) * 3;
          out[i] = (byte) row[x];
          out[i + 1] = (byte) row[x];
          out[i + 2] = (byte) row[x];
        }
      }
      return new RgbImage(w, h, out);
    }
    // a row at a time: getRGB per pixel costs about as much as the resize
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 3;
        out[i] = (byte) (row[x] >> 16);
        out[i + 1] = (byte) (row[x] >> 8);
        out[i + 2] = (byte) row[x];
      }
    }
    return new RgbImage(w, h, out);
  }

  /** The {@code w x h} window whose top-left pixel is ({@code top}, {@code left}); it must lie inside. */
  public RgbImage crop(int left, int top, int w, int h) {
    if (left < 0 || top < 0 || w < 1 || h < 1 || left + w > width || top + h > height) {
      throw new IllegalArgumentException("crop (" + left + ", " + top + ", " + w + " x " + h + ") is not inside the "
          + width + " x " + height + " image");
    }
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      System.arraycopy(rgb, ((top + y) * width + left) * 3, out, y * w * 3, w * 3);
    }
    return new RgbImage(w, h, out);
  }
}
