package io.longshort.data.images;

import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * For scripts/check_image_preprocessing_python.py: preprocesses every image of a folder the
 * authors' way (and train-image's squash) and writes the results to a safetensors file, for
 * Pillow to check pixel by pixel. {@code PreprocessingDump DIR SIDE OUT.safetensors}; per file F:
 * {@code F/authors} (S, S, 3) 8-bit values, {@code F/authors_normalised} (S, S, 3) float32,
 * {@code F/squash} (S, S, 3) 8-bit values.
 */
public final class PreprocessingDump {
  private PreprocessingDump() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    int side = Integer.parseInt(args[1]);
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(ImageFolderReader::isImage).sorted().toList();
    }
    long[] shape = {side, side, 3};
    SafetensorsWriter out = new SafetensorsWriter();
    for (Path f : files) {
      RgbImage image = RgbImage.read(f);
      String name = f.getFileName().toString();
      Preprocessing authors = Preprocessing.authorsEval(side);
      out.putInts(name + "/authors", shape, ints(authors.apply(image)));
      float[] normalised = authors.normalised(image);
      double[] d = new double[normalised.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = normalised[i];
      }
      out.putFloats(name + "/authors_normalised", shape, d);
      out.putInts(name + "/squash", shape, ints(Preprocessing.squash(side).apply(image)));
    }
    out.write(Path.of(args[2]));
    System.out.println("preprocessed " + files.size() + " images of " + dir);
  }

  private static int[] ints(RgbImage image) {
    int[] v = new int[image.rgb().length];
    for (int i = 0; i < v.length; i++) {
      v[i] = image.rgb()[i] & 0xff;
    }
    return v;
  }
}
