package io.longshort.data.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image readers, the synthetic generator and augmentation against hand-computed values. */
class ImageDataTest {
  @TempDir
  Path dir;

  @Test
  void cifar10RecordsBecomeNormalisedNhwcImages() throws IOException {
    // two records: label 3 with R = 10, G = 20, B = 30 everywhere except pixel (0, 1) red 255; label 9 zeros
    byte[] data = new byte[2 * Cifar10Reader.RECORD];
    data[0] = 3;
    for (int p = 0; p < 1024; p++) {
      data[1 + p] = 10;
      data[1 + 1024 + p] = 20;
      data[1 + 2048 + p] = 30;
    }
    data[1 + 1] = (byte) 255;
    data[Cifar10Reader.RECORD] = 9;
    Path f = dir.resolve("data_batch_1.bin");
    Files.write(f, data);
    ImageSet set = Cifar10Reader.read(List.of(f));
    assertEquals(2, set.size());
    assertArrayEquals(new int[] {3, 9}, set.labels());
    assertEquals("cat", set.classNames().get(3));
    assertEquals((10 / 255f - 0.485f) / 0.229f, set.pixels()[0], 1e-6);
    assertEquals((20 / 255f - 0.456f) / 0.224f, set.pixels()[1], 1e-6);
    assertEquals((30 / 255f - 0.406f) / 0.225f, set.pixels()[2], 1e-6);
    // pixel (y 0, x 1), channel 0
    assertEquals((1f - 0.485f) / 0.229f, set.pixels()[3], 1e-6);
    assertEquals(-0.485f / 0.229f, set.pixels()[set.imageLength()], 1e-6);

    Files.write(f, new byte[Cifar10Reader.RECORD + 5]);
    IOException e = assertThrows(IOException.class, () -> Cifar10Reader.read(List.of(f)));
    assertTrue(e.getMessage().contains("3073"), e.getMessage());
    IOException missing = assertThrows(IOException.class, () -> Cifar10Reader.readSplit(dir, false));
    assertTrue(missing.getMessage().contains("test_batch.bin"), missing.getMessage());
  }

  @Test
  void imageFolderDecodesPngAndJpegPerClassFolder() throws IOException {
    Files.createDirectories(dir.resolve("b_blue"));
    Files.createDirectories(dir.resolve("a_red"));
    write(0xff0000, dir.resolve("a_red/one.png"), "png");
    write(0xff0000, dir.resolve("a_red/two.jpg"), "jpg");
    write(0x0000ff, dir.resolve("b_blue/x.png"), "png");
    Files.writeString(dir.resolve("b_blue/notes.txt"), "ignored");
    ImageSet set = ImageFolderReader.read(dir, 4);
    assertEquals(List.of("a_red", "b_blue"), set.classNames());
    assertArrayEquals(new int[] {0, 0, 1}, set.labels());
    assertEquals(4, set.side());
    // PNG is lossless: exactly red; the JPEG within its compression error
    assertEquals((1f - 0.485f) / 0.229f, set.pixels()[0], 1e-6);
    assertEquals(-0.456f / 0.224f, set.pixels()[1], 1e-6);
    assertEquals((1f - 0.485f) / 0.229f, set.pixels()[set.imageLength()], 0.1);
    assertEquals((1f - 0.406f) / 0.225f, set.pixels()[2 * set.imageLength() + 2], 1e-6);

    Files.writeString(dir.resolve("b_blue/broken.png"), "not an image");
    IOException e = assertThrows(IOException.class, () -> ImageFolderReader.read(dir, 4));
    assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
  }

  private static void write(int rgb, Path file, String format) throws IOException {
    BufferedImage img = new BufferedImage(9, 7, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 7; y++) {
      for (int x = 0; x < 9; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    assertTrue(ImageIO.write(img, format, file.toFile()));
  }

  @Test
  void syntheticImagesAreSeededAndBalanced() {
    ImageSet a = SyntheticImages.generate(4, 20, 16, 1);
    ImageSet b = SyntheticImages.generate(4, 20, 16, 1);
    ImageSet c = SyntheticImages.generate(4, 20, 16, 2);
    assertArrayEquals(a.pixels(), b.pixels());
    assertFalse(java.util.Arrays.equals(a.pixels(), c.pixels()));
    int[] perClass = new int[4];
    for (int l : a.labels()) {
      perClass[l]++;
    }
    assertArrayEquals(new int[] {5, 5, 5, 5}, perClass);
    assertThrows(IllegalArgumentException.class, () -> SyntheticImages.generate(9, 10, 16, 0));
  }

  @Test
  void augmentationCropsAndFlipsDeterministically() {
    int side = 5;
    float[] img = new float[side * side];
    for (int i = 0; i < img.length; i++) {
      img[i] = i + 1;
    }
    // no padding, flip: every output is the image or its mirror
    Augmenter flipOnly = new Augmenter(0, true, 3);
    boolean sawMirror = false;
    boolean sawSame = false;
    for (int step = 0; step < 20; step++) {
      float[] out = flipOnly.apply(img, side, 1, step, 0);
      assertArrayEquals(out, flipOnly.apply(img, side, 1, step, 0));
      if (out[0] == 5) {
        sawMirror = true;
        assertEquals(1, out[4]);
        assertEquals(21, out[24]);
      } else {
        sawSame = true;
        assertArrayEquals(img, out);
      }
    }
    assertTrue(sawMirror && sawSame);
    // padding 2, no flip: a shifted copy with zeros where the shift leaves the image
    Augmenter crop = new Augmenter(2, false, 3);
    for (int step = 0; step < 10; step++) {
      float[] out = crop.apply(img, side, 1, step, 1);
      int dy = -99;
      int dx = -99;
      for (int y = 0; y < side && dy == -99; y++) {
        for (int x = 0; x < side; x++) {
          if (out[y * side + x] != 0) {
            int v = (int) out[y * side + x] - 1;
            dy = v / side - y;
            dx = v % side - x;
            break;
          }
        }
      }
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
          int sy = y + dy;
          int sx = x + dx;
          float want = sy < 0 || sy >= side || sx < 0 || sx >= side ? 0 : img[sy * side + sx];
          assertEquals(want, out[y * side + x], "step " + step + " (" + y + ", " + x + ")");
        }
      }
      assertTrue(Math.abs(dy) <= 2 && Math.abs(dx) <= 2);
    }
  }
}
