package io.longshort.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preprocessing of image files against Pillow 12.3 pixel by pixel: src/test/resources/images
 * holds a 41 x 29 PNG and what Pillow and torchvision's Resize/CenterCrop rules make of it
 * ({@code scripts/check_image_preprocessing_python.py fixture DIR} wrote them; the interop check
 * of tests/interop_python.sh compares 25 more images of many sizes, grey and RGBA included).
 */
class PreprocessingTest {
  @TempDir
  Path dir;

  private RgbImage fixture() throws IOException {
    Path png = dir.resolve("pillow_41x29.png");
    Files.write(png, resource("pillow_41x29.png"));
    return RgbImage.read(png);
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = PreprocessingTest.class.getResourceAsStream("/images/" + name)) {
      if (in == null) {
        throw new IOException("test resource images/" + name + " is missing");
      }
      return in.readAllBytes();
    }
  }

  /** Every 8-bit value equal to Pillow's: its fixed-point resampling, torchvision's sizes and crop offsets. */
  @Test
  void resizeAndCropEqualPillowValueForValue() throws IOException {
    RgbImage image = fixture();
    assertEquals(41, image.width());
    assertEquals(29, image.height());
    // S = 24: shorter side 29 -> int(24 / 0.875) = 27, longer int(27 * 41 / 29) = 38, crop left 7, top 2 (1.5 -> 2)
    assertArrayEquals(resource("pillow_41x29.authors24.rgb"), Preprocessing.authorsEval(24).apply(image).rgb());
    // S = 16: 29 -> 18, 41 -> 25; crop left round(4.5) = 4 (Python rounds half to even), top 1
    assertArrayEquals(resource("pillow_41x29.authors16.rgb"), Preprocessing.authorsEval(16).apply(image).rgb());
    for (int side : new int[] {24, 16}) {
      assertArrayEquals(resource("pillow_41x29.authors" + side + "_bilinear.rgb"),
          new Preprocessing(side, 0.875, Resampling.BILINEAR).apply(image).rgb(), "bilinear, S = " + side);
    }
    assertArrayEquals(resource("pillow_41x29.squash24.rgb"), Preprocessing.squash(24).apply(image).rgb());
  }

  /** torchvision's ToTensor then Normalize: (v / 255 - mean) / std in float32, channel by channel. */
  @Test
  void normalisedIsTheCropOverImageNetMeanAndStd() throws IOException {
    RgbImage image = fixture();
    Preprocessing p = Preprocessing.authorsEval(24);
    byte[] crop = p.apply(image).rgb();
    float[] x = p.normalised(image);
    float[] mean = {0.485f, 0.456f, 0.406f};
    float[] std = {0.229f, 0.224f, 0.225f};
    for (int i = 0; i < crop.length; i++) {
      assertEquals(((crop[i] & 0xff) / 255f - mean[i % 3]) / std[i % 3], x[i], 0f, "value " + i);
    }
  }

  /** The authors' resize targets: int(S / 0.875), truncated as Python's int(). */
  @Test
  void theShorterSideIsTruncatedAsTheAuthorsCompute() {
    assertEquals(256, Preprocessing.authorsEval(224).resizedShorterSide());
    assertEquals(438, Preprocessing.authorsEval(384).resizedShorterSide()); // 438.86
    assertEquals(224, Preprocessing.squash(224).resizedShorterSide());
    assertEquals(Resampling.BICUBIC, Resampling.fromJson("--interpolation", "3"));
    assertEquals(Resampling.BILINEAR, Resampling.fromJson("--interpolation", "bilinear"));
    var e = assertThrows(IllegalArgumentException.class, () -> Resampling.fromJson("--interpolation", "lanczos"));
    assertEquals("--interpolation (\"lanczos\") is not one of bilinear, bicubic", e.getMessage());
    var crop = assertThrows(IllegalArgumentException.class, () -> new Preprocessing(224, 1.5, Resampling.BICUBIC));
    assertTrue(crop.getMessage().contains("crop fraction (1.5) must be in (0, 1]"), crop.getMessage());
  }

  /** Same size: Pillow copies the image, and so does the resize here. */
  @Test
  void resizingToTheSameSizeKeepsEveryValue() throws IOException {
    RgbImage image = fixture();
    assertArrayEquals(image.rgb(), PilResize.resize(image, 41, 29, Resampling.BICUBIC).rgb());
    // a grey image's value repeats in R, G and B (not passed through Java's linear-grey colour space)
    java.awt.image.BufferedImage grey = new java.awt.image.BufferedImage(2, 1, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(0, 0, 0, 100);
    grey.getRaster().setSample(1, 0, 0, 200);
    assertArrayEquals(new byte[] {100, 100, 100, (byte) 200, (byte) 200, (byte) 200}, RgbImage.of(grey).rgb());
  }
}
