package io.longshort.train;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint that must not be used: damaged, truncated or inconsistent, named in the message. */
public final class DamagedCheckpointException extends IOException {
  private final Path file;

  public DamagedCheckpointException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /** The checkpoint (or, when none is intact, the checkpoint folder). */
  public Path file() {
    return file;
  }
}
