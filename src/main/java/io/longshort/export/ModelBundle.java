package io.longshort.export;

import io.longshort.io.AtomicFiles;
import io.longshort.io.OwnedFiles;
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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.tensorflow.types.family.TFloating;

/**
 * A model on disk: {@code model.json} (its ModelSpec) and {@code weights.safetensors} (every
 * parameter under its name), and {@link OwnedFiles}'s marker naming both. What {@code import-lra}
 * writes and later steps read. Written into a temporary folder that is renamed into place, so a
 * bundle is whole or absent.
 */
public final class ModelBundle {
  public static final String SPEC_FILE = "model.json";
  public static final String WEIGHTS_FILE = "weights.safetensors";
  /** The writer {@link OwnedFiles} records for a bundle's files. */
  static final String WRITER = "import-lra";

  private ModelBundle() {}

  /**
   * Writes {@code dir} from a graph's current parameter values. An existing {@code dir} is refused
   * unless {@code overwrite}, and then replaced only when everything in it is a bundle's (the files
   * {@link OwnedFiles} recorded when it was written, unchanged); anything else is refused by name.
   * The new bundle is renamed into place and the old one, moved aside first, deleted after.
   */
  public static <T extends TFloating> void write(Path dir, ModelGraph<T> graph, boolean overwrite) throws IOException {
    checkReplaceable(dir, overwrite);
    Path parent = dir.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
    Path old = null;
    try {
      SafetensorsWriter w = new SafetensorsWriter().metadata("model", graph.spec().toJson());
      for (Parameter<T> p : graph.parameters().list()) {
        try (var r = graph.session().runner().fetch(p.value()).run()) {
          w.putFloats(p.name(), p.shape(), HostTensors.toDoubles(r.get(0)));
        }
      }
      w.write(tmp.resolve(WEIGHTS_FILE));
      AtomicFiles.writeString(tmp.resolve(SPEC_FILE), graph.spec().toJson() + "\n");
      OwnedFiles.recordAll(tmp, WRITER);
      AtomicFiles.readableByAll(tmp);
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        // moved aside, not deleted, until the new one is in place: a failure keeps a bundle
        old = Files.createTempDirectory(parent, "." + dir.getFileName() + ".old-");
        Files.move(dir, old.resolve("bundle"), StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (old != null && Files.exists(old.resolve("bundle")) && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(old.resolve("bundle"), dir, StandardCopyOption.ATOMIC_MOVE);
      }
      throw e;
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
      if (old != null) {
        deleteTree(old);
      }
    }
  }

  /** Throws unless {@link #write} may write {@code dir}: absent, or with {@code overwrite} a bundle's alone. */
  public static void checkReplaceable(Path dir, boolean overwrite) throws IOException {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      if (!overwrite) {
        throw new IllegalArgumentException(dir + " exists; choose another folder or replace it (--overwrite)");
      }
      OwnedFiles.checkFolderReplaceable(dir, WRITER, "--out");
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
