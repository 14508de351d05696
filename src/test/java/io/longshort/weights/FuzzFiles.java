package io.longshort.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A scratch folder for the fuzz targets: one per JVM, reused by every input (inputs run one at a time). */
public final class FuzzFiles {
  private static Path dir;

  private FuzzFiles() {}

  public static synchronized Path file(String name) {
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("longshort-fuzz");
        dir.toFile().deleteOnExit();
      }
      Path f = dir.resolve(name);
      f.toFile().deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
