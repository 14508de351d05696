package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --keep never deletes the newest checkpoint with finite weights: a diverged run can go back to it. */
class CheckpointRotationTest {
  @TempDir
  Path dir;

  /** A checkpoint as {@link Checkpoints#save} writes one, with one weight and the step counter. */
  static Path write(Path dir, long step, double weight, boolean withFlag) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter().optChecksums().metadata("step", Long.toString(step));
    if (withFlag) {
      w.metadata(Checkpoints.FINITE_KEY, Boolean.toString(Double.isFinite(weight)));
    }
    w.putFloats("w", new long[] {2}, new double[] {0.5, weight});
    w.putLongs(Checkpoints.STEP_TENSOR, new long[0], new long[] {step});
    Path file = dir.resolve(Checkpoints.name(step));
    w.write(file);
    return file;
  }

  private List<String> names() throws IOException {
    return Checkpoints.list(dir).stream().map(p -> p.getFileName().toString()).toList();
  }

  @Test
  void finiteRunKeepsTheNewest() throws IOException {
    List<String> notes = new ArrayList<>();
    for (int s = 1; s <= 4; s++) {
      write(dir, s, s, true);
      Checkpoints.rotate(dir, 2, notes::add);
    }
    assertEquals(List.of("ckpt-3.safetensors", "ckpt-4.safetensors"), names());
    assertEquals(List.of(), notes);
  }

  @Test
  void divergedRunKeepsItsLastFiniteCheckpoint() throws IOException {
    List<String> notes = new ArrayList<>();
    double[] weights = {1, 2, Double.NaN, Double.POSITIVE_INFINITY, Double.NaN, Double.NaN};
    for (int s = 1; s <= weights.length; s++) {
      write(dir, s, weights[s - 1], true);
      Checkpoints.rotate(dir, 2, notes::add);
    }
    assertEquals(List.of("ckpt-2.safetensors", "ckpt-5.safetensors", "ckpt-6.safetensors"), names());
    assertEquals("kept ckpt-2.safetensors beyond --keep 2: the newer [ckpt-5.safetensors, ckpt-6.safetensors] hold"
        + " weights that are not finite, and it is the newest that does not", notes.get(notes.size() - 1));
    assertEquals(Optional.of(dir.resolve("ckpt-2.safetensors")), Checkpoints.newestFinite(dir));
    assertFalse(Checkpoints.finite(dir.resolve("ckpt-6.safetensors")));

    // finite again (after a restart with a lower --lr): the old finite one may go now
    write(dir, 7, 1, true);
    write(dir, 8, 1, true);
    notes.clear();
    Checkpoints.rotate(dir, 2, notes::add);
    assertEquals(List.of("ckpt-7.safetensors", "ckpt-8.safetensors"), names());
    assertEquals(List.of(), notes);
  }

  /** Checkpoints from before the "finite" flag are scanned; a damaged one never counts as finite. */
  @Test
  void withoutTheFlagTheDataDecides() throws IOException {
    write(dir, 1, 1, false);
    write(dir, 2, Double.NaN, false);
    write(dir, 3, Double.NaN, false);
    assertTrue(Checkpoints.finite(dir.resolve("ckpt-1.safetensors")));
    assertFalse(Checkpoints.finite(dir.resolve("ckpt-2.safetensors")));
    java.nio.file.Files.write(dir.resolve("ckpt-4.safetensors"), new byte[] {9, 9});
    assertFalse(Checkpoints.finite(dir.resolve("ckpt-4.safetensors")));
    Checkpoints.rotate(dir, 1, n -> {});
    assertEquals(List.of("ckpt-1.safetensors", "ckpt-4.safetensors"), names());
  }
}
