package io.longshort.cli;

import io.longshort.export.Export;
import io.longshort.export.ExportOptions;
import io.longshort.export.ServingExport;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.io.FolderLock;
import io.longshort.spec.ModelSpec;
import io.longshort.train.Checkpoints;
import io.longshort.weights.FiniteValues;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Exports a model as a SavedModel version in TF Serving's layout. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Exports a model with its weights as a SavedModel for TF Serving: <out>/<name>/<version>/ with"
        + " saved_model.pb (tag 'serve'; id signatures serving_default -> logits, probabilities and, for"
        + " classifiers, classify_ids -> scores, classes; text signatures: classifiers predict_text (strings ->"
        + " classes, scores, logits, truncated) and classify (TF Serving's Classify API, tf.Example in), byte"
        + " language models score_text and generate_text; see docs/serving.md), variables/, assets/ (labels.txt,"
        + " the vocabulary of a ListOps model) and assets.extra/"
        + " (tf_serving_warmup_requests, example.safetensors). A train-lm run (--run; the authors' LM) is served"
        + " with score, generate, score_text and generate_text at a static batch (--batch, default 1) and capacity"
        + " C (--length, a multiple of the run's block; default the smallest of at least 512 tokens); see"
        + " docs/authors-lm.md. Also (re)writes <out>/models.config and"
        + " <out>/batching_parameters.txt. The version is written into a hidden temporary folder and"
        + " renamed into place; an existing version is refused unless --overwrite."
        + " --xla: every signature calls a function XLA must compile (_XlaMustCompile, as a TF2"
        + " tf.function(jit_compile=True) export); for generate the loop's step is compiled and the While"
        + " loop around it is not, since its trip count and output width come from each request's"
        + " max_new_tokens. --bf16: bfloat16 compute from float32 variables; float32 inputs and outputs.")
final class ExportCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  ModelSourceOptions model;

  @Option(names = "--name", description = "Model name (default: the bundle's or checkpoint's folder name).")
  String name;

  @Option(names = "--out", defaultValue = "savedmodels", description = "TF Serving's model root (default: ${DEFAULT-VALUE}).")
  Path out;

  // not --version: that is picocli's standard option (print the version), which every command keeps
  @Option(names = "--model-version", paramLabel = "N",
      description = "Version number (default: the highest existing one + 1, or 1).")
  Long version;

  @Option(names = "--overwrite", description = "Replace an existing version folder that export wrote (refused, naming"
      + " the file, when it holds anything else).")
  boolean overwrite;

  @Mixin
  LengthOption length = LengthOption.derivedFrom("a run's training length, else the model's maxLength, less one"
      + " for cls pooling; a train-lm run: the capacity C, the smallest multiple of its block of at least 512");

  @Mixin
  BatchOption batch = BatchOption.derivedFrom("1; only for the authors' LM of a train-lm run, whose serving graph"
      + " has a static batch: token models serve any batch");

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--serving-base-path", paramLabel = "DIR",
      description = "The folder TF Serving sees --out as, for models.config (e.g. /models in its container; "
          + "default: the absolute path of --out).")
  String servingBasePath;

  @Option(names = "--max-new-tokens-cap", paramLabel = "N",
      description = "Language models: the most new tokens one generate request may ask for, checked in the graph"
          + " (TF Serving refuses more with INVALID_ARGUMENT); 1..maxLength (default: maxLength, the capacity).")
  Integer maxNewTokensCap;

  @Option(names = "--labels", split = ",", paramLabel = "NAME",
      description = "Classifiers: the label names in class-id order, what the text signatures answer (default: the"
          + " run's labels.json, else the class ids as strings).")
  List<String> labels;

  @Option(names = "--text-feature", paramLabel = "NAME", defaultValue = ExportOptions.DEFAULT_TEXT_FEATURE,
      description = "The tf.Example feature the classify signature reads the text from (retrieval: NAME_0 and"
          + " NAME_1; default: ${DEFAULT-VALUE}).")
  String textFeature;

  @Option(names = "--xla", description = "Serve through functions that XLA must compile (generate: its loop's step).")
  boolean xla;

  @Option(names = "--bf16", description = "Compute in bfloat16 inside the served functions (float32 variables, "
      + "inputs and outputs).")
  boolean bf16;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    Optional<Path> authorsLm = model.authorsLmCheckpoint();
    if (authorsLm.isPresent()) {
      return exportAuthorsLm(authorsLm.get(), o);
    }
    OptionChecks.require(batch.valueOrNull() == null, "--batch", batch.valueOrNull(),
        "applies to the authors' LM (a train-lm run); token models are exported for any batch");
    ModelSourceOptions.Resolved source = model.resolve();
    if (!source.hasWeights()) {
      throw new IllegalArgumentException("--spec needs --checkpoint PATH (the weights to export)");
    }
    ModelSpec modelSpec = source.spec();
    String modelName = name != null ? name : source.defaultName();
    if (version != null) {
      // refuse before building the model; ServingExport checks again, holding the model folder's lock
      ServingExport.checkReplaceable(out.resolve(modelName).resolve(Long.toString(version)), overwrite);
    }
    // held from before the model is built: a second export of this model is refused at once
    try (FolderLock lock = ServingExport.lockModel(out, modelName, version)) {
      return export(source, modelSpec, modelName, lock, o);
    }
  }

  private int export(ModelSourceOptions.Resolved source, ModelSpec modelSpec, String modelName, FolderLock lock,
      PrintWriter o) throws IOException {
    // a run exports at the length it was trained at
    int n = length.orElse(source.trainedLength().orElse(modelSpec.maxTokens()));
    // per-row Nystrom inverses: TF Serving's batching must not change a request's answer
    modelSpec = modelSpec.forServing();
    List<String> names = labels;
    if (names == null && model.run.valueOrNull() != null) {
      names = io.longshort.train.RunLabels.read(model.run.valueOrNull()).map(io.longshort.data.LabelNames::names).orElse(null);
    }
    if (names != null) {
      OptionChecks.require(modelSpec.task() != io.longshort.spec.Task.LANGUAGE_MODEL, "--labels", names,
          "applies to classifiers only (this is a " + modelSpec.task().jsonName() + ")");
      OptionChecks.require(names.size() == modelSpec.classes(), "--labels", names,
          "names one label per class: the model has " + modelSpec.classes());
    }
    ExportOptions options = new ExportOptions(xla, bf16, names, textFeature);
    ModelGraph.Builder builder = ModelGraph.builder(modelSpec).setDtype(bf16 ? TBfloat16.class : TFloat32.class)
        .optVariableDtype(TFloat32.class).setBatch(-1).setLength(n).optSeed(0);
    if (maxNewTokensCap != null) {
      OptionChecks.require(modelSpec.task() == io.longshort.spec.Task.LANGUAGE_MODEL, "--max-new-tokens-cap",
          maxNewTokensCap, "applies to language models only (this is a " + modelSpec.task().jsonName() + ")");
      OptionChecks.inRange("--max-new-tokens-cap", maxNewTokensCap, 1, modelSpec.maxLength());
      builder.optMaxNewTokensCap(maxNewTokensCap);
    }
    try (ModelGraph<?> g = builder.build()) {
      source.loadWeights(g);
      refuseNonFinite(g, source.weights());
      Export export = Export.of(g).optSeed(seed.value()).optXla(xla).optBf16(bf16).optOverwrite(overwrite)
          .optTextFeature(options.textFeature())
          .optNotes(note -> {
            o.println("recovered: " + note);
            o.flush();
          });
      if (version != null) {
        export.optVersion(version);
      }
      if (names != null) {
        export.optLabels(names);
      }
      ServingExport.Result r = export.write(lock, out, modelName);
      if (servingBasePath != null) {
        ServingExport.updateServerConfigs(out, servingBasePath);
      }
      o.printf("exported %s (%s, %,d parameters, inputs %s of length %d, %s) as version %d -> %s%n", modelName,
          modelSpec.task().jsonName(), g.parameters().count(), g.inputs().keySet(), n, options.describe(), r.version(),
          r.versionDir());
      List<String> sigs = new java.util.ArrayList<>(g.signatures().keySet());
      sigs.addAll(io.longshort.export.TextSignatures.build(g, options, io.longshort.export.SavedModelWriter.VOCABULARY_ASSET).signatures()
          .keySet());
      o.println("  signatures: " + sigs + (options.labels() == null && modelSpec.task() != io.longshort.spec.Task.LANGUAGE_MODEL
          ? " (no label names: classes are the class ids as strings)" : "") + "; "
          + out.resolve(ServingExport.MODELS_CONFIG) + " and " + out.resolve(ServingExport.BATCHING_FILE) + " updated");
      if (!Files.isDirectory(r.versionDir())) {
        throw new IOException("version folder " + r.versionDir() + " missing after export");
      }
    }
    o.flush();
    return 0;
  }

  /**
   * A train-lm run (the authors' LM) through {@link Export#fromRun}: batch B (--batch), capacity C
   * (--length, a multiple of the run's block); the options that mean nothing to it are refused.
   */
  private int exportAuthorsLm(Path checkpoint, PrintWriter o) throws IOException {
    Path runDir = model.run.valueOrNull();
    OptionChecks.require(maxNewTokensCap == null, "--max-new-tokens-cap", maxNewTokensCap,
        "applies to our token LMs; the authors' LM's generate takes up to its capacity (--length) tokens");
    OptionChecks.require(labels == null, "--labels", labels, "applies to classifiers only (this is a language model)");
    OptionChecks.require(!bf16, "--bf16", bf16, "applies to token models (ModelSpec) only; this is the authors' LM"
        + " (a train-lm run)");
    Export export = Export.fromRun(runDir).optCheckpoint(checkpoint.toString()).optSeed(seed.value()).optXla(xla)
        .optOverwrite(overwrite).optNotes(note -> {
          o.println("recovered: " + note);
          o.flush();
        });
    if (length.valueOrNull() != null) {
      export.optLength(length.valueOrNull());
    }
    if (batch.valueOrNull() != null) {
      export.optBatch(batch.valueOrNull());
    }
    if (version != null) {
      export.optVersion(version);
    }
    String modelName = name != null ? name : runDir.toAbsolutePath().normalize().getFileName().toString();
    ServingExport.Result r = export.write(out, modelName);
    if (servingBasePath != null) {
      ServingExport.updateServerConfigs(out, servingBasePath);
    }
    o.printf("exported %s (the authors' LM of run %s, checkpoint %s) as version %d -> %s%n", modelName, runDir,
        checkpoint.getFileName(), r.version(), r.versionDir());
    o.flush();
    return 0;
  }

  /**
   * TF Serving would answer NaN for every request: weights that are not finite (a diverged run)
   * are refused, naming the tensor and where they came from, with the way out.
   */
  private void refuseNonFinite(ModelGraph<?> g, Path from) throws IOException {
    for (var p : g.parameters().list()) {
      try (var r = g.session().runner().fetch(p.value()).run()) {
        Optional<String> problem = FiniteValues.problem(p.name(), HostTensors.toDoubles(r.get(0)));
        if (problem.isEmpty()) {
          continue;
        }
        String hint;
        if (model.run.valueOrNull() != null) {
          Optional<Path> finite = newestFiniteOther(model.run.valueOrNull().resolve("checkpoints"), from);
          hint = finite.map(f -> "the newest checkpoint of the run with finite weights is " + f.getFileName()
              + ": export it with --run " + model.run.valueOrNull() + " --checkpoint " + Checkpoints.step(f))
              .orElse("no checkpoint of the run has finite weights: train again with a lower --lr");
        } else {
          hint = "export weights that are finite";
        }
        throw new IllegalArgumentException("export refused: " + from + " holds weights that are not finite: "
            + problem.get() + "; " + hint);
      }
    }
  }

  /**
   * The newest intact checkpoint with finite weights other than {@code refused}, the one just found
   * not finite: a checkpoint from before the finite flag (or with a wrong one) must not be
   * suggested as the way out of itself.
   */
  private static Optional<Path> newestFiniteOther(Path dir, Path refused) throws IOException {
    List<Path> all = Checkpoints.list(dir);
    for (int i = all.size() - 1; i >= 0; i--) {
      Path f = all.get(i);
      if (refused != null && Files.exists(refused) && Files.isSameFile(f, refused)) {
        continue;
      }
      if (Checkpoints.finite(f)) {
        try {
          Checkpoints.verify(f);
          return Optional.of(f);
        } catch (io.longshort.train.DamagedCheckpointException e) {
          // not one to go back to
        }
      }
    }
    return Optional.empty();
  }
}
