package io.longshort.cli;

import io.longshort.export.TfCheckpoints;
import io.longshort.export.ModelBundle;
import io.longshort.export.SavedModelWriter;
import io.longshort.export.ServingExport;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    ModelSpec modelSpec;
    Path from;
    if (source.bundle != null || source.run != null) {
      if (spec != null) {
        throw new IllegalArgumentException("--spec goes with --checkpoint; bundles and runs know their model");
      }
      if (source.bundle != null) {
        from = source.bundle;
        modelSpec = ModelBundle.readSpec(from);
      } else {
        // the shared model-source options will name another (best, a step): RunFolder.resolveCheckpoint
        from = io.longshort.train.RunFolder.resolveCheckpoint(source.run, "latest");
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
    try (ModelGraph<TFloat32> g = ModelGraph.builder(modelSpec).setDtype(TFloat32.class).setBatch(-1).setLength(n).optSeed(0).build()) {
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
      ServingExport.Result r = ServingExport.export(g, out, modelName, version, overwrite, seed);
      if (servingBasePath != null) {
        ServingExport.writeServerConfigs(out, servingBasePath);
      }
      o.printf("exported %s (%s, %,d parameters, inputs %s of length %d) as version %d -> %s%n", modelName,
          modelSpec.task().jsonName(), g.parameters().count(), g.inputs().keySet(), n, r.version(), r.versionDir());
      o.println("  signatures: " + g.signatures().keySet() + "; "
          + out.resolve(ServingExport.MODELS_CONFIG) + " and " + out.resolve(ServingExport.BATCHING_FILE) + " updated");
      if (!Files.isDirectory(r.versionDir())) {
        throw new IOException("version folder " + r.versionDir() + " missing after export");
      }
    }
    o.flush();
    return 0;
  }
}
