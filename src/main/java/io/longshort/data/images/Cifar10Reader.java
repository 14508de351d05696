package io.longshort.data.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR-10 binary format ({@code cifar-10-batches-bin}): records of 3073 bytes, a label byte
 * (0-9) then 1024 red, 1024 green and 1024 blue bytes of a 32 x 32 image, row-major. Read into
 * NHWC, normalised with {@link ImageSet#normalise}.
 */
public final class Cifar10Reader {
  public static final int SIDE = 32;
  public static final int RECORD = 1 + 3 * SIDE * SIDE;
  public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
      "frog", "horse", "ship", "truck");

  private Cifar10Reader() {}

  /** Reads the training batches (data_batch_1..5.bin) or the test batch (test_batch.bin) of a folder. */
  public static ImageSet readSplit(Path folder, boolean train) throws IOException {
    List<Path> files = new ArrayList<>();
    if (train) {
      for (int i = 1; i <= 5; i++) {
        files.add(folder.resolve("data_batch_" + i + ".bin"));
      }
    } else {
      files.add(folder.resolve("test_batch.bin"));
    }
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new IOException("CIFAR-10 folder " + folder + " has no " + f.getFileName()
            + " (expected the binary version: data_batch_1..5.bin and test_batch.bin)");
      }
    }
    return read(files);
  }

  /** Reads and concatenates binary batch files. */
  public static ImageSet read(List<Path> files) throws IOException {
    List<byte[]> parts = new ArrayList<>();
    long total = 0;
    for (Path f : files) {
      byte[] b = Files.readAllBytes(f);
      if (b.length == 0 || b.length % RECORD != 0) {
        throw new IOException(f + ": " + b.length + " bytes is not a whole number of " + RECORD
            + "-byte CIFAR-10 records");
      }
      parts.add(b);
      total += b.length / RECORD;
    }
    int n = Math.toIntExact(total);
    int plane = SIDE * SIDE;
    float[] pixels = new float[n * plane * 3];
    int[] labels = new int[n];
    int i = 0;
    for (int f = 0; f < parts.size(); f++) {
      byte[] b = parts.get(f);
      for (int off = 0; off < b.length; off += RECORD, i++) {
        int label = b[off] & 0xff;
        if (label >= CLASSES.size()) {
          throw new IOException(files.get(f) + ": record " + off / RECORD + " has label " + label
              + "; CIFAR-10 labels are 0-9");
        }
        labels[i] = label;
        for (int c = 0; c < 3; c++) {
          for (int p = 0; p < plane; p++) {
            pixels[(i * plane + p) * 3 + c] = ImageSet.normalise(b[off + 1 + c * plane + p] & 0xff, c, 3);
          }
        }
      }
    }
    return new ImageSet(SIDE, 3, pixels, labels, CLASSES);
  }
}
