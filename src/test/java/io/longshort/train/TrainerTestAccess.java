package io.longshort.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.proto.Event;

/** Test helpers of this package for tests elsewhere. */
public final class TrainerTestAccess {
  private TrainerTestAccess() {}

  /** The Events of a TensorBoard file, both CRCs of every record checked. */
  public static List<Event> readEvents(Path file) throws IOException {
    return TrainerTest.readEvents(file);
  }
}
