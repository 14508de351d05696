package io.longshort.data.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * An image-folder data set (ImageNet's layout, torchvision's ImageFolder): one sub-folder per class
 * (classes sorted by folder name, labels 0..K-1), JPEG and PNG files inside (decoded by the JDK's
 * ImageIO, {@link RgbImage#read}), each made a model input by a {@link Preprocessing}. Files with
 * other extensions are ignored; a file ImageIO cannot decode is an error naming it.
 */
public final class ImageFolderReader {
  private ImageFolderReader() {}

  /** The files of an image folder, sorted by class then name, and their labels. */
  public record Listing(List<String> classNames, List<Path> files, int[] labels) {
    public int size() {
      return files.size();
    }
  }

  /** The files and labels of the folder {@code root}, without decoding them. */
  public static Listing list(Path root) throws IOException {
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
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      names.add(classDirs.get(c).getFileName().toString());
      try (Stream<Path> s = Files.list(classDirs.get(c))) {
        for (Path f : s.filter(ImageFolderReader::isImage).sorted().toList()) {
          files.add(f);
          labels.add(c);
        }
      }
    }
    if (files.isEmpty()) {
      throw new IOException("image folder " + root + " holds no .jpg, .jpeg or .png files");
    }
    return new Listing(names, files, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  /** Every image of {@code root} in memory, each resized to S x S (bilinear; {@link Preprocessing#squash}). */
  public static ImageSet read(Path root, int side) throws IOException {
    return read(root, Preprocessing.squash(side));
  }

  /** Every image of {@code root} in memory, preprocessed by {@code preprocessing}. */
  public static ImageSet read(Path root, Preprocessing preprocessing) throws IOException {
    Listing listing = list(root);
    int len = preprocessing.side() * preprocessing.side() * 3;
    float[] pixels = new float[listing.size() * len];
    for (int i = 0; i < listing.size(); i++) {
      System.arraycopy(decode(listing.files().get(i), preprocessing), 0, pixels, i * len, len);
    }
    return new ImageSet(preprocessing.side(), 3, pixels, listing.labels(), listing.classNames());
  }

  static boolean isImage(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(f) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
  }

  /** One file -> (S, S, 3) normalised RGB. */
  public static float[] decode(Path f, Preprocessing preprocessing) throws IOException {
    return preprocessing.normalised(RgbImage.read(f));
  }
}
