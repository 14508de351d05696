package io.longshort.export;

import io.longshort.io.AtomicFiles;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.core.Parameter;
import io.longshort.io.TextFiles;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.tensorflow.types.family.TFloating;

/**
 * A model on disk: {@code model.json} (its ModelSpec) and {@code weights.safetensors} (every
 * parameter under its name). What {@code import-lra} writes and later steps read. Written into a
 * temporary folder that is renamed into place, so a bundle is whole or absent.
 */
public final class ModelBundle {
  public static final String SPEC_FILE = "model.json";
  public static final String WEIGHTS_FILE = "weights.safetensors";

  private ModelBundle() {}

  /** Writes {@code dir} from a graph's current parameter values; refuses an existing dir unless overwrite. */
  public static <T extends TFloating> void write(Path dir, ModelGraph<T> graph, boolean overwrite) throws IOException {
    if (Files.exists(dir) && !overwrite) {
      throw new IOException(dir + " exists; choose another folder or allow overwriting");
    }
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
    try {
      SafetensorsWriter w = new SafetensorsWriter().metadata("model", graph.spec().toJson());
      for (Parameter<T> p : graph.parameters().list()) {
        try (var r = graph.session().runner().fetch(p.value()).run()) {
          w.putFloats(p.name(), p.shape(), HostTensors.toDoubles(r.get(0)));
        }
      }
      w.write(tmp.resolve(WEIGHTS_FILE));
      AtomicFiles.writeString(tmp.resolve(SPEC_FILE), graph.spec().toJson() + "\n");
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
      AtomicFiles.readableByAll(tmp);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
    }
  }

  public static ModelSpec readSpec(Path dir) throws IOException {
    Path file = dir.resolve(SPEC_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " is not a model bundle: no " + SPEC_FILE);
    }
    return ModelSpec.parseJson(TextFiles.read(file, "model bundle spec"));
  }

  /** Sets every parameter of {@code graph} from the bundle's weights. */
  public static <T extends TFloating> void loadWeights(Path dir, ModelGraph<T> graph) throws IOException {
    try (Safetensors st = Safetensors.open(dir.resolve(WEIGHTS_FILE))) {
      WeightLoader.load(graph.session(), graph.parameters(), st);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
