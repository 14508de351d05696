package io.longshort.train;

import io.longshort.io.AtomicFiles;
import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Checksums;
import io.longshort.weights.FiniteValues;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * Training checkpoints: {@code ckpt-<step>.safetensors} in a run folder, holding every variable
 * of the training state (parameters under their names, optimizer slots under "optimizer/...") at
 * full precision, and the run's metadata (model and optimizer specs, seed). Each file is written
 * under a temporary name and renamed, so a checkpoint is whole or absent even if the process is
 * killed; only the newest {@code keep} are kept, and never fewer than the newest one with finite
 * weights.
 *
 * <p>A checkpoint carries CRC32C checksums of every tensor and of its header ({@link Checksums}),
 * and its step three times: in its name, in the metadata and as the optimizer's step tensor.
 * {@link #verify} checks all of them; resuming, evaluating and exporting ({@link #newestIntact})
 * use the newest checkpoint that passes and say which failed. Checkpoints
 * written before checksums existed are accepted with a warning: refusing them would strand every
 * earlier run, their structure and steps are still checked, and the next checkpoint of a resumed
 * run carries checksums.
 */
public final class Checkpoints {
  private static final Pattern NAME = Pattern.compile("ckpt-(\\d+)\\.safetensors");
  /** The optimizer's update counter, as stored ({@link TrainingVariable#of(org.tensorflow.op.Ops, StateVariable)}). */
  public static final String STEP_TENSOR = "optimizer/step";
  /** Metadata: "true" when every floating tensor was finite when written. */
  public static final String FINITE_KEY = "finite";
  /** Where a damaged checkpoint is moved when a resume falls back to an older one. */
  public static final String DAMAGED_SUFFIX = ".damaged";

  private Checkpoints() {}

  /** What {@link #verify} found in an intact checkpoint. */
  public record Verified(Path file, long step, boolean checksummed, Map<String, String> metadata) {}

  /** Writes the checkpoint of {@code step} and deletes all but the newest {@code keep} ({@link #rotate}). */
  public static Path save(Path dir, long step, Session session, List<TrainingVariable> variables,
      Map<String, String> metadata, int keep) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException("checkpoint folder " + dir + " is a file");
    }
    Files.createDirectories(dir);
    if (!Files.isWritable(dir)) {
      throw new IOException("checkpoint folder " + dir + " is not writable");
    }
    SafetensorsWriter w = new SafetensorsWriter().optChecksums();
    metadata.forEach(w::metadata);
    w.metadata("step", Long.toString(step));
    boolean finite = true;
    var runner = session.runner();
    for (TrainingVariable v : variables) {
      runner.fetch(v.value());
    }
    try (var result = runner.run()) {
      for (int i = 0; i < variables.size(); i++) {
        TrainingVariable v = variables.get(i);
        Tensor t = result.get(i);
        if (t instanceof TInt64 l) {
          long[] values = new long[Math.toIntExact(Math.max(1, t.shape().size()))];
          l.asRawTensor().data().asLongs().read(values);
          if (v.name().equals(STEP_TENSOR) && values[0] != step) {
            throw new IllegalStateException("checkpoint of step " + step + ": the run's step counter is " + values[0]);
          }
          w.putLongs(v.name(), v.shape(), values);
        } else {
          double[] values = HostTensors.toDoubles(t);
          finite &= FiniteValues.problem(v.name(), values).isEmpty();
          if (t instanceof TFloat64) {
            w.putDoubles(v.name(), v.shape(), values);
          } else {
            w.putFloats(v.name(), v.shape(), values);
          }
        }
      }
    }
    w.metadata(FINITE_KEY, Boolean.toString(finite));
    Path file = dir.resolve(name(step));
    removeLeftovers(dir);
    w.write(file);
    rotate(dir, keep, System.err::println);
    return file;
  }

  public static String name(long step) {
    return "ckpt-" + step + ".safetensors";
  }

  /**
   * Deletes all but the newest {@code keep} checkpoints, except the newest one with finite weights:
   * a run that diverged keeps the checkpoint it can go back to (said in {@code notes}).
   * Returns the deleted files.
   */
  public static List<Path> rotate(Path dir, int keep, Consumer<String> notes) throws IOException {
    List<Path> all = list(dir);
    int first = Math.max(0, all.size() - keep);
    List<Path> kept = all.subList(first, all.size());
    Path lastFinite = null;
    boolean keptFinite = false;
    for (int i = all.size() - 1; i >= 0 && first > 0; i--) {
      if (finite(all.get(i))) {
        lastFinite = all.get(i);
        keptFinite = i >= first;
        break;
      }
    }
    List<Path> deleted = new ArrayList<>();
    for (Path p : all.subList(0, first)) {
      if (p.equals(lastFinite)) {
        continue;
      }
      Files.deleteIfExists(p);
      deleted.add(p);
    }
    if (lastFinite != null && !keptFinite) {
      notes.accept("kept " + lastFinite.getFileName() + " beyond --keep " + keep + ": the newer " + kept.stream()
          .map(p -> p.getFileName().toString()).toList() + " hold weights that are not finite, and it is the newest"
          + " that does not");
    }
    return deleted;
  }

  /**
   * Whether every floating tensor of a checkpoint was finite: its "finite" metadata, written with
   * it (the data is scanned for checkpoints older than that); false for one that cannot be read.
   * Rotation asks this of the newest checkpoints at every save, so it reads no data when it need
   * not; {@link #verify} is what checks the data.
   */
  public static boolean finite(Path checkpoint) {
    try (Safetensors st = Safetensors.open(checkpoint)) {
      String flag = st.metadata().get(FINITE_KEY);
      return flag != null ? flag.equals("true") : FiniteValues.problem(st).isEmpty();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The newest intact checkpoint whose weights are all finite, if any. */
  public static Optional<Path> newestFinite(Path dir) throws IOException {
    List<Path> all = list(dir);
    for (int i = all.size() - 1; i >= 0; i--) {
      if (finite(all.get(i))) {
        try {
          verify(all.get(i));
          return Optional.of(all.get(i));
        } catch (DamagedCheckpointException e) {
          // not one to go back to
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Checks a checkpoint: it opens as safetensors (whole, not truncated), its checksums match (when
   * it has them), and the step of its name, of its "step" metadata and of its step tensor agree.
   *
   * @throws DamagedCheckpointException naming the file and what is wrong
   */
  public static Verified verify(Path file) throws IOException {
    long named = step(file);
    try (Safetensors st = Safetensors.open(file)) {
      boolean checksummed = Checksums.present(st);
      if (checksummed) {
        Checksums.verify(st);
      }
      Map<String, String> meta = st.metadata();
      String stepMeta = meta.get("step");
      if (stepMeta == null || !stepMeta.equals(Long.toString(named))) {
        throw new DamagedCheckpointException(file, file + ": its name says step " + named + ", its metadata "
            + (stepMeta == null ? "has no step" : "says step " + stepMeta), null);
      }
      if (st.contains(STEP_TENSOR)) {
        double[] counter = st.readDoubles(STEP_TENSOR);
        if (counter.length != 1 || counter[0] != named) {
          throw new DamagedCheckpointException(file, file + ": its name and metadata say step " + named
              + ", its step counter '" + STEP_TENSOR + "' holds " + java.util.Arrays.toString(counter), null);
        }
      }
      return new Verified(file, named, checksummed, meta);
    } catch (DamagedCheckpointException e) {
      throw e;
    } catch (IOException e) {
      // the reader's messages already name the file and the tensor
      throw new DamagedCheckpointException(file, e.getMessage(), e);
    }
  }

  /**
   * The newest checkpoint of {@code dir} that {@link #verify} passes, for reading (eval, export):
   * each damaged newer one is named in {@code notes}, and so is a checkpoint without checksums.
   * Empty when {@code dir} has no checkpoint.
   *
   * @throws DamagedCheckpointException when checkpoints exist but none is intact
   */
  /**
   * Before a run in {@code dir} trains on from {@code step} (the checkpoint {@link #newestIntact}
   * chose, 0 for none): removes the temporary files of checkpoint writes that were interrupted, and
   * moves checkpoints of later steps (damaged ones, since the newest intact was chosen) aside to
   * {@code ckpt-<step>.safetensors.damaged}, so the run can write those steps again and rotation
   * never counts them. Says what it did in {@code notes}. Not for readers (eval, export): a
   * training run may be writing into the same folder.
   */
  public static void prepareResume(Path dir, long step, Consumer<String> notes) throws IOException {
    for (Path p : removeLeftovers(dir)) {
      notes.accept("removed " + p + ", left by a checkpoint write that was interrupted");
    }
    for (Path p : list(dir)) {
      if (step(p) > step) {
        Path aside = p.resolveSibling(p.getFileName() + DAMAGED_SUFFIX);
        Files.move(p, aside, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        notes.accept("moved the damaged " + p.getFileName() + " aside to " + aside.getFileName()
            + "; the run goes on from step " + step);
      }
    }
  }

  public static Optional<Path> newestIntact(Path dir, Consumer<String> notes) throws IOException {
    List<Path> all = list(dir);
    List<DamagedCheckpointException> damaged = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      try {
        Verified v = verify(p);
        for (DamagedCheckpointException d : damaged) {
          notes.accept("checkpoint " + d.file().getFileName() + " is damaged, not used: " + d.getMessage());
        }
        if (!damaged.isEmpty()) {
          notes.accept("using " + p.getFileName() + ", the newest intact checkpoint");
        }
        if (!v.checksummed()) {
          notes.accept("warning: " + p + " has no checksums (written before checkpoints carried them): its data"
              + " cannot be verified");
        }
        return Optional.of(p);
      } catch (DamagedCheckpointException e) {
        damaged.add(e);
      }
    }
    if (damaged.isEmpty()) {
      return Optional.empty();
    }
    StringBuilder m = new StringBuilder("no intact checkpoint in " + dir + ":");
    damaged.forEach(d -> m.append("\n  ").append(d.getMessage()));
    m.append("\nmove the damaged files away to start again from step 0");
    throw new DamagedCheckpointException(dir, m.toString(), damaged.get(0));
  }

  /** Temporary files of checkpoint writes that a killed process never finished (never read as checkpoints). */
  static List<Path> removeLeftovers(Path dir) throws IOException {
    return AtomicFiles.removeLeftovers(dir, "ckpt-\\d+\\.safetensors");
  }

  /** Checkpoints in {@code dir}, oldest first. */
  public static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> NAME.matcher(f.getFileName().toString()).matches())
          .sorted(Comparator.comparingLong(Checkpoints::step)).toList();
    }
  }

  /** The newest checkpoint by name, unverified (see {@link #newestIntact} for one to read). */
  public static Optional<Path> latest(Path dir) throws IOException {
    List<Path> all = list(dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  public static long step(Path checkpoint) {
    Matcher m = NAME.matcher(checkpoint.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException(checkpoint + " is not named ckpt-<step>.safetensors");
    }
    return Long.parseLong(m.group(1));
  }

  /** Sets every variable from {@code file}; all are checked before any is set. */
  public static Map<String, String> restore(Path file, Session session, List<TrainingVariable> variables)
      throws IOException {
    try (Safetensors st = Safetensors.open(file)) {
      List<Tensor> fed = new ArrayList<>();
      try {
        var runner = session.runner();
        for (TrainingVariable v : variables) {
          var info = st.info(v.name());
          if (!java.util.Arrays.equals(info.shape(), v.shape())) {
            throw new IOException(file + ": '" + v.name() + "' has shape " + info.shapeString()
                + ", the run's variable has " + java.util.Arrays.toString(v.shape()));
          }
          Tensor t;
          if (v.dtype() == TInt64.class) {
            // exactly: a double holds an I64 (the step counter) only up to 2^53
            long[] longs = st.readLongs(v.name());
            t = longs.length == 1 && v.shape().length == 0 ? TInt64.scalarOf(longs[0])
                : TInt64.vectorOf(longs);
          } else {
            if (!info.dtype().isFloating()) {
              throw new IOException(file + ": '" + v.name() + "' has dtype " + info.dtype()
                  + ", the run's variable is floating point");
            }
            double[] values = st.readDoubles(v.name());
            @SuppressWarnings("unchecked")
            Class<? extends org.tensorflow.types.family.TFloating> type =
                (Class<? extends org.tensorflow.types.family.TFloating>) v.dtype();
            t = HostTensors.of(type, v.shape(), values);
          }
          fed.add(t);
          runner.feed(v.setValue(), t).addTarget(v.assign());
        }
        runner.run().close();
      } finally {
        fed.forEach(Tensor::close);
      }
      return st.metadata();
    }
  }
}
