package io.longshort.data.images;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * An image-folder data set: one sub-folder per class (classes sorted by folder name, labels
 * 0..K-1), JPEG and PNG files inside (decoded by the JDK's ImageIO), each resized to S x S
 * (bilinear) as RGB and normalised with {@link ImageSet#normalise}. Files with other extensions
 * are ignored; a file ImageIO cannot decode is an error naming it.
 */
public final class ImageFolderReader {
  private ImageFolderReader() {}

  public static ImageSet read(Path root, int side) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IOException("image folder " + root + " does not exist or is not a folder");
    }
    List<Path> classDirs;
    try (Stream<Path> s = Files.list(root)) {
      classDirs = s.filter(Files::isDirectory).sorted().toList();
    }
    if (classDirs.size() < 2) {
      throw new IOException("image folder " + root + " has " + classDirs.size()
          + " class sub-folders; a classifier needs at least 2 (one folder per class)");
    }
    List<String> names = new ArrayList<>();
    List<float[]> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      names.add(classDirs.get(c).getFileName().toString());
      List<Path> files;
      try (Stream<Path> s = Files.list(classDirs.get(c))) {
        files = s.filter(ImageFolderReader::isImage).sorted().toList();
      }
      for (Path f : files) {
        images.add(decode(f, side));
        labels.add(c);
      }
    }
    if (images.isEmpty()) {
      throw new IOException("image folder " + root + " holds no .jpg, .jpeg or .png files");
    }
    int len = side * side * 3;
    float[] pixels = new float[images.size() * len];
    for (int i = 0; i < images.size(); i++) {
      System.arraycopy(images.get(i), 0, pixels, i * len, len);
    }
    return new ImageSet(side, 3, pixels, labels.stream().mapToInt(Integer::intValue).toArray(), names);
  }

  static boolean isImage(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(f) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
  }

  /** One file -> (S, S, 3) normalised RGB. */
  static float[] decode(Path f, int side) throws IOException {
    BufferedImage img = ImageIO.read(f.toFile());
    if (img == null) {
      throw new IOException(f + ": not a JPEG or PNG image ImageIO can decode");
    }
    BufferedImage resized = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = resized.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(img, 0, 0, side, side, null);
    } finally {
      g.dispose();
    }
    float[] out = new float[side * side * 3];
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int rgb = resized.getRGB(x, y);
        int base = (y * side + x) * 3;
        out[base] = ImageSet.normalise((rgb >> 16) & 0xff, 0, 3);
        out[base + 1] = ImageSet.normalise((rgb >> 8) & 0xff, 1, 3);
        out[base + 2] = ImageSet.normalise(rgb & 0xff, 2, 3);
      }
    }
    return out;
  }
}
