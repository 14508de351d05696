package io.longshort.cli;

import io.longshort.export.TfCheckpoints;
import io.longshort.export.ModelBundle;
import io.longshort.export.SavedModelWriter;
import io.longshort.export.ServingExport;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.train.Checkpoints;
import io.longshort.weights.FiniteValues;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Exports a model as a SavedModel version in TF Serving's layout. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {
        "Exports a model with its weights as a SavedModel for TF Serving: <out>/<name>/<version>/ with",
        "saved_model.pb (tag 'serve'; signatures serving_default -> logits, probabilities and, for",
        "classifiers, classify -> scores, classes), variables/, assets/ and assets.extra/",
        "(tf_serving_warmup_requests, example.safetensors). Also (re)writes <out>/models.config and",
        "<out>/batching_parameters.txt. The version is written into a hidden temporary folder and",
        "renamed into place; an existing version is refused unless --overwrite."})
final class ExportCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  static final class Source {
    @Option(names = "--bundle", required = true, description = "A model bundle folder (model.json + weights.safetensors).")
    Path bundle;

    @Option(names = "--run", required = true,
        description = "A training run folder: exports its newest checkpoint (the model comes with it).")
    Path run;

    @Option(names = "--checkpoint", required = true, paramLabel = "PREFIX",
        description = "A TensorFlow checkpoint prefix (PREFIX.index, PREFIX.data-*); needs --spec.")
    Path checkpoint;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--spec", paramLabel = "NAME|FILE", description = "The model of --checkpoint: a shipped config name or a ModelSpec JSON file.")
  String spec;

  @Option(names = "--name", description = "Model name (default: the bundle's or checkpoint's folder name).")
  String name;

  @Option(names = "--out", defaultValue = "savedmodels", description = "TF Serving's model root (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--version", description = "Version number (default: the highest existing one + 1, or 1).")
  Long version;

  @Option(names = "--overwrite", description = "Replace an existing version folder.")
  boolean overwrite;

  @Option(names = "--length", description = "Tokens per input (default: a run's training length, else the model's "
      + "maxLength, less one for cls pooling).")
  Integer length;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the example/warm-up inputs (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--serving-base-path", paramLabel = "DIR",
      description = "The folder TF Serving sees --out as, for models.config (e.g. /models in its container; "
          + "default: the absolute path of --out).")
  String servingBasePath;

  @Option(names = "--step", description = "With --run: export the checkpoint of this step (default: the newest intact one).")
  Long step;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    ModelSpec modelSpec;
    Path from;
    if (step != null && source.run == null) {
      throw new IllegalArgumentException("--step (" + step + ") goes with --run");
    }
    if (source.bundle != null || source.run != null) {
      if (spec != null) {
        throw new IllegalArgumentException("--spec goes with --checkpoint; bundles and runs know their model");
      }
      if (source.bundle != null) {
        from = source.bundle;
        modelSpec = ModelBundle.readSpec(from);
      } else {
        from = runCheckpoint();
        try (var st = io.longshort.weights.Safetensors.open(from)) {
          modelSpec = ModelSpec.parseJson(st.metadata().get("model"));
          if (length == null && st.metadata().containsKey("length")) {
            length = Integer.parseInt(st.metadata().get("length")); // the length it was trained at
          }
        }
      }
    } else {
      if (spec == null) {
        throw new IllegalArgumentException("--checkpoint needs --spec (the model the checkpoint was trained as)");
      }
      from = source.checkpoint;
      modelSpec = ModelConfigs.load(spec);
    }
    String modelName = name != null ? name
        : (source.bundle != null ? from.toAbsolutePath().normalize().getFileName()
            : source.run != null ? source.run.toAbsolutePath().normalize().getFileName()
            : from.toAbsolutePath().normalize().getParent().getFileName()).toString();
    if (version != null && !overwrite && Files.exists(out.resolve(modelName).resolve(Long.toString(version)))) {
      // refuse before building the model; ServingExport checks again
      throw new IOException(out.resolve(modelName).resolve(Long.toString(version))
          + " exists; choose another --version or pass --overwrite");
    }
    int n = length != null ? length : modelSpec.maxTokens();
    try (ModelGraph<TFloat32> g = ModelGraph.build(modelSpec, TFloat32.class, -1, n, 0)) {
      if (source.bundle != null) {
        ModelBundle.loadWeights(from, g);
      } else if (source.run != null) {
        // the parameters; the checkpoint's optimizer/* state stays behind
        try (var st = io.longshort.weights.Safetensors.open(from)) {
          io.longshort.weights.WeightLoader.load(g.session(), g.parameters(), st);
        }
      } else {
        TfCheckpoints.restore(g.session(), g.parameters(), from);
      }
      refuseNonFinite(g, from);
      ServingExport.Result r = ServingExport.export(g, out, modelName, version, overwrite, seed, note -> {
        o.println("recovered: " + note);
        o.flush();
      });
      if (servingBasePath != null) {
        ServingExport.writeServerConfigs(out, servingBasePath);
      }
      o.printf("exported %s (%s, %,d parameters, inputs %s of length %d) as version %d -> %s%n", modelName,
          modelSpec.task().jsonName(), g.parameters().count(), g.inputs().keySet(), n, r.version(), r.versionDir());
      o.println("  signatures: " + SavedModelWriter.signatureOutputs(g).keySet() + "; "
          + out.resolve(ServingExport.MODELS_CONFIG) + " and " + out.resolve(ServingExport.BATCHING_FILE) + " updated");
      if (!Files.isDirectory(r.versionDir())) {
        throw new IOException("version folder " + r.versionDir() + " missing after export");
      }
    }
    o.flush();
    return 0;
  }

  /** The run's checkpoint to export: --step's, or the newest intact one; verified either way. */
  private Path runCheckpoint() throws IOException {
    Path dir = source.run.resolve("checkpoints");
    if (step != null) {
      Path file = dir.resolve(Checkpoints.name(step));
      if (!Files.exists(file)) {
        throw new IllegalArgumentException("--step (" + step + "): " + source.run + " has no " + file.getFileName()
            + "; it has " + Checkpoints.list(dir).stream().map(p -> p.getFileName().toString()).toList());
      }
      Checkpoints.verify(file);
      return file;
    }
    PrintWriter err = command.commandLine().getErr();
    Path newest = Checkpoints.newestIntact(dir, err::println).orElseThrow(() ->
        new IllegalArgumentException("--run (" + source.run + ") holds no checkpoints/ckpt-<step>.safetensors"));
    err.flush();
    return newest;
  }

  /**
   * TF Serving would answer NaN for every request: weights that are not finite (a diverged run)
   * are refused, naming the tensor and where they came from, with the way out.
   */
  private void refuseNonFinite(ModelGraph<TFloat32> g, Path from) throws IOException {
    for (var p : g.parameters().list()) {
      try (var r = g.session().runner().fetch(p.value()).run()) {
        Optional<String> problem = FiniteValues.problem(p.name(), HostTensors.toDoubles(r.get(0)));
        if (problem.isEmpty()) {
          continue;
        }
        String hint;
        if (source.run != null) {
          Optional<Path> finite = Checkpoints.newestFinite(source.run.resolve("checkpoints"));
          hint = finite.map(f -> "the newest checkpoint of the run with finite weights is " + f.getFileName()
              + ": export it with --run " + source.run + " --step " + Checkpoints.step(f))
              .orElse("no checkpoint of the run has finite weights: train again with a lower --lr");
        } else {
          hint = "export weights that are finite";
        }
        throw new IllegalArgumentException("export refused: " + from + " holds weights that are not finite: "
            + problem.get() + "; " + hint);
      }
    }
  }
}
