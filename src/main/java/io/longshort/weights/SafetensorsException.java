package io.longshort.weights;

import java.io.IOException;
import java.nio.file.Path;

/** A weight file that cannot be used, with the file and the reason in the message. */
public final class SafetensorsException extends IOException {
  public SafetensorsException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public SafetensorsException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
