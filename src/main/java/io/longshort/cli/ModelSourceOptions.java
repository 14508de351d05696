package io.longshort.cli;

import io.longshort.export.ModelBundle;
import io.longshort.export.TfCheckpoints;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.train.RunFolder;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.types.family.TFloating;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options that name a trained model, shared by every command that reads one ({@code eval},
 * {@code export}, {@code generate}): one of {@code --run DIR}, {@code --bundle DIR} or {@code --spec
 * NAME|FILE}, with {@code --checkpoint best|latest|STEP|PATH}. Commands take it as
 * {@code @Mixin ModelSourceOptions model} and call {@link #resolve()}.
 */
final class ModelSourceOptions {
  // a mixin with our own check rather than an exclusive @ArgGroup: picocli's group errors ("expected
  // only one match but got ...") do not say which options clash
  @Mixin
  RunOption run = RunOption.optional();

  @Option(names = "--bundle", paramLabel = "DIR",
      description = "A model bundle folder (model.json + weights.safetensors, as import-lra writes).")
  Path bundle;

  @Option(names = "--spec", paramLabel = "NAME|FILE",
      description = "A shipped model config name or a ModelSpec JSON file; its weights come from --checkpoint"
          + " PATH (a checkpoint .safetensors file or a TensorFlow checkpoint prefix).")
  String spec;

  @Option(names = "--checkpoint", paramLabel = "best|latest|STEP|PATH",
      description = "Which weights: with --run, best (the best validation metric), latest (default), a step number"
          + " or a file; with --spec, a checkpoint .safetensors file or a TensorFlow checkpoint prefix"
          + " (PREFIX.index, PREFIX.data-*).")
  String checkpoint;

  /** What the options name. */
  enum Kind { RUN, BUNDLE, SPEC }

  /**
   * A resolved model source.
   *
   * @param weights the checkpoint file, the bundle folder, the TF checkpoint prefix, or null for
   *     seeded random weights ({@code --spec} without {@code --checkpoint})
   * @param metadata a run checkpoint's metadata (empty otherwise)
   */
  record Resolved(Kind kind, ModelSpec spec, Path weights, Map<String, String> metadata, String defaultName) {
    /** The length a run trained at, if this is a run's checkpoint. */
    Optional<Integer> trainedLength() {
      return Optional.ofNullable(metadata.get("length")).map(Integer::parseInt);
    }

    boolean hasWeights() {
      return weights != null;
    }

    /** Assigns the weights to the graph's parameters (a run checkpoint's optimizer state stays behind). */
    <T extends TFloating> void loadWeights(ModelGraph<T> graph) throws IOException {
      if (weights == null) {
        return;
      }
      if (kind == Kind.BUNDLE) {
        ModelBundle.loadWeights(weights, graph);
      } else if (Files.isRegularFile(weights) && weights.getFileName().toString().endsWith(".safetensors")) {
        try (Safetensors file = Safetensors.open(weights)) {
          WeightLoader.load(graph.session(), graph.parameters(), file);
        }
      } else {
        TfCheckpoints.restore(graph.session(), graph.parameters(), weights);
      }
    }
  }

  Kind kind() {
    int given = (run.valueOrNull() != null ? 1 : 0) + (bundle != null ? 1 : 0) + (spec != null ? 1 : 0);
    if (given != 1) {
      throw new IllegalArgumentException((given == 0 ? "no model: give " : "give only one of ")
          + "--run DIR, --bundle DIR or --spec NAME|FILE" + (given == 0 ? "" : " (got " + given + ")"));
    }
    return run.valueOrNull() != null ? Kind.RUN : bundle != null ? Kind.BUNDLE : Kind.SPEC;
  }

  /** The run's checkpoint that --checkpoint names (default latest), as the run folder resolves it. */
  private Path runCheckpoint() {
    String which = checkpoint == null ? "latest" : checkpoint;
    try {
      return RunFolder.resolveCheckpoint(run.valueOrNull(), which);
    } catch (IOException | IllegalArgumentException e) {
      // the run folder's message names the choice as "checkpoint 'x': ..."; here the option does
      String why = e.getMessage().replaceFirst("^checkpoint '" + java.util.regex.Pattern.quote(which) + "': ", "");
      throw new IllegalArgumentException("--checkpoint (" + which + "): " + why, e);
    }
  }

  /**
   * The checkpoint --run and --checkpoint name when the run is a train-lm run (the authors' LM,
   * which {@code Export.fromRun} rebuilds; it has no ModelSpec), else empty.
   */
  Optional<Path> authorsLmCheckpoint() throws IOException {
    if (kind() != Kind.RUN) {
      return Optional.empty();
    }
    Path file = runCheckpoint();
    try (Safetensors st = Safetensors.open(file)) {
      return io.longshort.export.Export.isAuthorsLm(st.metadata()) ? Optional.of(file) : Optional.empty();
    }
  }

  Resolved resolve() throws IOException {
    switch (kind()) {
      case RUN -> {
        Path file = runCheckpoint();
        Map<String, String> meta;
        try (Safetensors st = Safetensors.open(file)) {
          meta = st.metadata();
        }
        if (!meta.containsKey("model")) {
          throw new IllegalArgumentException("--checkpoint " + file + " is not a training checkpoint (no model in"
              + " its metadata); give it with --spec");
        }
        return new Resolved(Kind.RUN, ModelSpec.parseJson(meta.get("model")), file, meta, folderName(run.valueOrNull()));
      }
      case BUNDLE -> {
        if (checkpoint != null) {
          throw new IllegalArgumentException("--checkpoint (" + checkpoint + ") goes with --run or --spec; a bundle"
              + " holds its own weights");
        }
        return new Resolved(Kind.BUNDLE, ModelBundle.readSpec(bundle), bundle, Map.of(),
            folderName(bundle));
      }
      default -> {
        ModelSpec model = ModelConfigs.load(spec);
        if (checkpoint == null) {
          return new Resolved(Kind.SPEC, model, null, Map.of(), folderName(Path.of(spec)));
        }
        if (checkpoint.equals("best") || checkpoint.equals("latest") || checkpoint.matches("\\d+")) {
          throw new IllegalArgumentException("--checkpoint " + checkpoint + " names a checkpoint of a run: give --run"
              + " DIR, or a file or TensorFlow checkpoint prefix with --spec");
        }
        Path weights = Path.of(checkpoint);
        boolean tfPrefix = Files.isRegularFile(Path.of(checkpoint + TfCheckpoints.INDEX_SUFFIX));
        if (!Files.isRegularFile(weights) && !tfPrefix) {
          throw new IllegalArgumentException("--checkpoint (" + checkpoint + ") is neither a file nor a TensorFlow"
              + " checkpoint prefix (no " + checkpoint + TfCheckpoints.INDEX_SUFFIX + ")");
        }
        Path parent = weights.toAbsolutePath().normalize().getParent();
        return new Resolved(Kind.SPEC, model, weights, Map.of(), folderName(parent));
      }
    }
  }

  private static String folderName(Path p) {
    Path name = p.toAbsolutePath().normalize().getFileName();
    String s = name == null ? "model" : name.toString();
    return s.endsWith(".json") ? s.substring(0, s.length() - ".json".length()) : s;
  }
}
