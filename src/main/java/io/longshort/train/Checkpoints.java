package io.longshort.train;

import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * killed; only the newest {@code keep} are kept.
 */
public final class Checkpoints {
  private static final Pattern NAME = Pattern.compile("ckpt-(\\d+)\\.safetensors");

  private Checkpoints() {}

  /** Writes the checkpoint of {@code step} and deletes all but the newest {@code keep}. */
  public static Path save(Path dir, long step, Session session, List<TrainingVariable> variables,
      Map<String, String> metadata, int keep) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException("checkpoint folder " + dir + " is a file");
    }
    Files.createDirectories(dir);
    if (!Files.isWritable(dir)) {
      throw new IOException("checkpoint folder " + dir + " is not writable");
    }
    SafetensorsWriter w = new SafetensorsWriter();
    metadata.forEach(w::metadata);
    w.metadata("step", Long.toString(step));
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
          w.putLongs(v.name(), v.shape(), values);
        } else if (t instanceof TFloat64) {
          w.putDoubles(v.name(), v.shape(), HostTensors.toDoubles(t));
        } else {
          w.putFloats(v.name(), v.shape(), HostTensors.toDoubles(t));
        }
      }
    }
    Path file = dir.resolve("ckpt-" + step + ".safetensors");
    removeLeftovers(dir);
    w.write(file);
    List<Path> all = list(dir);
    for (int i = 0; i < all.size() - keep; i++) {
      Files.deleteIfExists(all.get(i));
    }
    return file;
  }

  /** Temporary files of a write that a killed process never finished (never read as checkpoints). */
  static void removeLeftovers(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().matches("\\.ckpt-\\d+\\.safetensors.*\\.tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    }
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
