package io.longshort.cli;

import io.longshort.export.SavedModelWriter;
import io.longshort.export.ServingExport;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Exports a model as a SavedModel version in TF Serving's layout. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Exports a model with its weights as a SavedModel for TF Serving: <out>/<name>/<version>/ with"
        + " saved_model.pb (tag 'serve'; signatures serving_default -> logits, probabilities and, for"
        + " classifiers, classify -> scores, classes), variables/, assets/ and assets.extra/"
        + " (tf_serving_warmup_requests, example.safetensors). Also (re)writes <out>/models.config and"
        + " <out>/batching_parameters.txt. The version is written into a hidden temporary folder and"
        + " renamed into place; an existing version is refused unless --overwrite.")
final class ExportCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  ModelSource model;

  @Option(names = "--name", description = "Model name (default: the bundle's or checkpoint's folder name).")
  String name;

  @Option(names = "--out", defaultValue = "savedmodels", description = "TF Serving's model root (default: ${DEFAULT-VALUE}).")
  Path out;

  // not --version: that is picocli's standard option (print the version), which every command keeps
  @Option(names = "--model-version", paramLabel = "N",
      description = "Version number (default: the highest existing one + 1, or 1).")
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
    ModelSource.Resolved source = model.resolve();
    if (!source.hasWeights()) {
      throw new IllegalArgumentException("--spec needs --checkpoint PATH (the weights to export)");
    }
    ModelSpec modelSpec = source.spec();
    if (length == null) {
      length = source.trainedLength().orElse(null); // a run exports at the length it was trained at
    }
    String modelName = name != null ? name : source.defaultName();
    if (version != null && !overwrite && Files.exists(out.resolve(modelName).resolve(Long.toString(version)))) {
      // refuse before building the model; ServingExport checks again
      throw new IOException(out.resolve(modelName).resolve(Long.toString(version))
          + " exists; choose another --model-version or pass --overwrite");
    }
    int n = length != null ? length : modelSpec.maxTokens();
    // per-row Nystrom inverses: TF Serving's batching must not change a request's answer
    modelSpec = modelSpec.forServing();
    try (ModelGraph<TFloat32> g = ModelGraph.build(modelSpec, TFloat32.class, -1, n, 0)) {
      source.loadWeights(g);
      ServingExport.Result r = ServingExport.export(g, out, modelName, version, overwrite, seed);
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
}
