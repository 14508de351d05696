package io.longshort.export;

import io.longshort.graph.model.ServableModel;
import io.longshort.io.FolderLock;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.VisionSpec;
import io.longshort.train.Model;
import io.longshort.train.RunFolder;
import io.longshort.train.RunLabels;
import io.longshort.train.Trainer;
import io.longshort.train.TruncatedBpttTrainer;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * Export for TF Serving in one call: the serving graph (any batch, no dropout) is built from the
 * model's definition, the chosen checkpoint of its run loaded, and the version written with
 * {@link ServingExport}'s files (warm-up request, example, models.config).
 *
 * <pre>
 * Path v = Export.of(trainer).to(Path.of("savedmodels"), "mine");                        // best checkpoint
 * Path w = Export.fromRun(Path.of("runs/mine")).optCheckpoint("latest").optVersion(3).optXla(true)
 *     .to(Path.of("savedmodels"), "mine");                                                 // a ModelSpec run
 * Path c = Export.fromRun(Path.of("runs/composed")).optModel(model).to(root, "composed");  // a composed one
 * </pre>
 *
 * <pre>
 * Path lm = Export.fromRun(Path.of("runs/enwik8")).optBatch(2).optLength(1024).to(root, "lm");  // a train-lm run
 * </pre>
 *
 * <p>Options by name: the checkpoint ({@code best} (the default when the run has evaluated, else
 * {@code latest}), {@code latest}, a step, a file), the version (default: the next), XLA-compiled
 * signatures, bfloat16 compute (token models), the label names and text feature of the text
 * signatures, overwrite of an existing version that export wrote.
 */
public final class Export {
  private final Path runDir;
  private final ServableModel<?> built;
  private Model<?> model;
  private Integer length;
  private Integer batch;
  private String checkpoint;
  private Long version;
  private boolean xla;
  private boolean bf16;
  private boolean overwrite;
  private long seed;
  private java.util.List<String> labels;
  private String textFeature = ExportOptions.DEFAULT_TEXT_FEATURE;
  private Consumer<String> notes = note -> {};

  private Export(Path runDir, Model<?> model, ServableModel<?> built) {
    this.runDir = runDir;
    this.model = model;
    this.built = built;
  }

  /**
   * A finished (or running) run's model: a ModelSpec or VisionSpec run rebuilds its model from the
   * run's metadata, and so does a train-lm run (the authors' LM: {@link #optBatch}, {@link #optLength});
   * a composed model is passed in ({@link #optModel}).
   */
  public static Export fromRun(Path runDir) {
    if (runDir == null || !Files.isDirectory(runDir)) {
      throw new IllegalArgumentException("Export.fromRun (" + runDir + "): no such run folder");
    }
    return new Export(runDir, null, null);
  }

  /** The model a trainer trains, from its run folder's checkpoints, at the trainer's length. */
  public static Export of(Trainer<?> trainer) {
    if (!trainer.runFolder().persistent()) {
      throw new IllegalArgumentException("Export.of(trainer): the trainer has no run folder (optRunDir); an export"
          + " loads one of its checkpoints");
    }
    Model<?> definition = trainer.definition() != null ? trainer.definition() : Model.of(trainer.graph().spec());
    Export e = new Export(trainer.runFolder().dir(), definition, null);
    e.length = trainer.length();
    return e;
  }

  /** A serving graph already built, its weights loaded by the caller (e.g. a bundle's). */
  public static Export of(ServableModel<?> built) {
    return new Export(null, null, Objects.requireNonNull(built, "built"));
  }

  /** Whether a run checkpoint's metadata is a train-lm run's (the authors' LM), which {@link #fromRun} rebuilds. */
  public static boolean isAuthorsLm(Map<String, String> checkpointMetadata) {
    return AuthorsLmRuns.trainedBy(checkpointMetadata);
  }

  /** The model of a run whose metadata does not rebuild it (a composed model), or another definition of it. */
  public Export optModel(Model<?> model) {
    this.model = Objects.requireNonNull(model, "model");
    return this;
  }

  /** {@code best}, {@code latest}, a step number or a checkpoint file. */
  public Export optCheckpoint(String which) {
    this.checkpoint = which;
    return this;
  }

  /** The checkpoint of update {@code step}. */
  public Export optCheckpoint(long step) {
    return optCheckpoint(Long.toString(step));
  }

  /**
   * N of the serving graph (default: the run's length, else the model's longest input); for the
   * authors' LM the capacity C, a multiple of the run's block (default: the smallest one of at
   * least {@value AuthorsLmRuns#DEFAULT_CAPACITY_TOKENS} tokens).
   */
  public Export optLength(int length) {
    this.length = length;
    return this;
  }

  /**
   * B of a serving graph with a static batch: the authors' LM of a train-lm run (default
   * {@value AuthorsLmRuns#DEFAULT_BATCH}); token and vision models serve any batch and refuse it.
   */
  public Export optBatch(int batch) {
    this.batch = batch;
    return this;
  }

  /** The version folder (default: one more than the highest, 1 if none). */
  public Export optVersion(long version) {
    this.version = version;
    return this;
  }

  /** Every signature as a function XLA must compile. */
  public Export optXla(boolean xla) {
    this.xla = xla;
    return this;
  }

  /** Compute in bfloat16 from the float32 variables (token models). */
  public Export optBf16(boolean bf16) {
    this.bf16 = bf16;
    return this;
  }

  /** Replace an existing version that an export wrote (never one a user wrote). */
  public Export optOverwrite(boolean overwrite) {
    this.overwrite = overwrite;
    return this;
  }

  /** The seed of the example request's inputs (default 0). */
  public Export optSeed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * A classifier's label names, class id = position: what the text signatures answer as
   * {@code classes} (default: the run's {@code labels.json} when it has one, else the class ids
   * as strings).
   */
  public Export optLabels(java.util.List<String> labels) {
    this.labels = java.util.List.copyOf(labels);
    return this;
  }

  /** The tf.Example feature the {@code classify} signature reads the text from (default {@code text}). */
  public Export optTextFeature(String feature) {
    this.textFeature = feature;
    return this;
  }

  /** Told at once of what was repaired or removed of interrupted exports. */
  public Export optNotes(Consumer<String> notes) {
    this.notes = Objects.requireNonNull(notes, "notes");
    return this;
  }

  /** Writes {@code <root>/<name>/<version>} and returns that folder. */
  public Path to(Path root, String name) throws IOException {
    return write(root, name).versionDir();
  }

  /** Writes {@code <root>/<name>/<version>}: the folder, the version and what was recovered first. */
  public ServingExport.Result write(Path root, String name) throws IOException {
    if (built != null) {
      return ServingExport.export(built, root, name, version, overwrite, seed, options(), notes);
    }
    if (version != null) {
      // refuse before building the model; ServingExport checks again, holding the model folder's lock
      ServingExport.checkReplaceable(root.resolve(name).resolve(Long.toString(version)), overwrite);
    }
    Path file = RunFolder.resolveCheckpoint(runDir, checkpoint != null ? checkpoint
        : Files.exists(runDir.resolve(RunFolder.BEST_FILE)) ? "best" : "latest");
    try (Safetensors weights = Safetensors.open(file)) {
      Map<String, String> meta = weights.metadata();
      if (model == null && AuthorsLmRuns.trainedBy(meta)) {
        return writeAuthorsLm(meta, file, weights, root, name);
      }
      if (batch != null) {
        throw new IllegalArgumentException("batch (" + batch + "): token and vision models are exported for any"
            + " batch; a static batch is for the authors' LM (a train-lm run)");
      }
      Model<?> definition = model != null ? model : rebuilt(meta, file);
      int n = length != null ? length : meta.containsKey("length") && !meta.get("length").equals("0")
          ? Integer.parseInt(meta.get("length")) : definition.defaultLength();
      if (bf16 && !definition.family().equals("tokens")) {
        throw new IllegalArgumentException("bf16: bfloat16 serving graphs are built for token models (ModelSpec);"
            + " this is a " + definition.family() + " model");
      }
      // bf16: bfloat16 compute on the checkpoint's float32 variables
      Model.Build build = bf16 ? Model.Build.serving(TBfloat16.class, TFloat32.class, n)
          : Model.Build.serving(definition.dtype(), definition.dtype(), n);
      try (ServableModel<?> serving = definition.buildServing(build)) {
        WeightLoader.load(serving.session(), serving.parameters(), weights);
        return ServingExport.export(serving, root, name, version, overwrite, seed, options(), notes);
      }
    }
  }

  /**
   * A train-lm run: its serving graph (static batch B, capacity C = the length, the run's block)
   * with {@code score}, {@code generate} and the byte text signatures, through the one export path.
   */
  private ServingExport.Result writeAuthorsLm(Map<String, String> meta, Path file, Safetensors weights, Path root,
      String name) throws IOException {
    if (bf16) {
      throw new IllegalArgumentException("bf16: bfloat16 serving graphs are built for token models (ModelSpec);"
          + " this is a " + TruncatedBpttTrainer.FAMILY + " model (a train-lm run)");
    }
    if (labels != null) {
      throw new IllegalArgumentException("labels (" + labels + "): a language model has no classes; label names"
          + " are for classifiers");
    }
    if (xla) {
      // tried: TF2's loader fails converting score's While body (a Pad whose widths are computed in the loop)
      throw new IllegalArgumentException("xla: the authors' LM's score signature streams its blocks in a While loop"
          + " that XLA cannot compile (shapes computed inside the loop); export it without xla");
    }
    try (ServableModel<?> serving = AuthorsLmRuns.serving(meta, file, batch, length)) {
      WeightLoader.load(serving.session(), serving.parameters(), weights);
      return ServingExport.export(serving, root, name, version, overwrite, seed, options(), notes);
    }
  }

  /**
   * {@link #write(Path, String)} of a built model ({@link #of(ServableModel)}) holding {@code lock},
   * the model folder's ({@link ServingExport#lockModel}), taken before the model was built so that
   * a second export is refused at once.
   */
  public ServingExport.Result write(FolderLock lock, Path root, String name) throws IOException {
    if (built == null) {
      throw new IllegalStateException("write(lock, ...) exports a built model (Export.of(built)); a run's export"
          + " takes the lock itself");
    }
    return ServingExport.export(lock, built, root, name, version, overwrite, seed, options(), notes);
  }

  /** The options by name as one record; a run's label names unless given. */
  ExportOptions options() throws IOException {
    java.util.List<String> names = labels;
    if (names == null && runDir != null) {
      names = RunLabels.read(runDir).map(io.longshort.data.LabelNames::names).orElse(null);
    }
    return new ExportOptions(xla, bf16, names, textFeature);
  }

  /** The model a run's checkpoint names: its family and spec JSON. */
  private static Model<?> rebuilt(Map<String, String> meta, Path file) {
    String json = meta.get("model");
    if (json == null) {
      throw new IllegalArgumentException("checkpoint " + file + " is not a training checkpoint (no model in its"
          + " metadata)");
    }
    // runs written before the family was recorded: image runs record their augmentation
    String family = meta.getOrDefault(Trainer.FAMILY, meta.containsKey("augment") ? "vision" : "tokens");
    return switch (family) {
      case "tokens" -> Model.of(ModelSpec.parseJson(json));
      case "vision" -> Model.of(VisionSpec.parseJson(json));
      default -> throw new IllegalArgumentException("run " + file.getParent().getParent() + " trained a " + family
          + " model, which its metadata does not rebuild: pass the model in (optModel)");
    };
  }
}
