package io.longshort.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.longshort.export.ModelBundle;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AuthorsConfig;
import io.longshort.spec.Json;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Imports a model trained with the authors' LRA code. */
@Command(name = "import-lra", mixinStandardHelpOptions = true,
    description = "Imports a ModelForSC / ModelForSCDual trained with the authors' LRA code"
        + " (NVIDIA/transformer-ls): its state_dict as safetensors (scripts/pth_to_safetensors.py converts"
        + " a .pth/.pt) and its run configuration with their argument names (num_layers, transformer_dim,"
        + " num_head, head_dim, transformer_hidden_dim, window_size, num_landmarks, max_seq_len,"
        + " vocab_size, num_classes, pooling_mode, cls_last_layer, cls_token, tied_weights, attn_type,"
        + " ...). Writes a model bundle: <out>/model.json (our ModelSpec) and <out>/weights.safetensors.")
final class ImportLraCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  // --weights as in train-image: a state_dict with the authors' names (--checkpoint names our own checkpoints)
  @Option(names = "--weights", required = true, paramLabel = "FILE",
      description = "The authors' state_dict as .safetensors.")
  Path checkpoint;

  // not --config: in train that is a training setting
  @Option(names = "--authors-config", paramLabel = "FILE", description = "The authors' run configuration as JSON"
      + " (flat, or with a \"model\" object). Default: the weights file's metadata entry \"config\".")
  Path config;

  @Option(names = "--module", description = "ModelForSC or ModelForSCDual (default: the checkpoint's metadata "
      + "entry \"module\", else ModelForSC).")
  String module;

  @Option(names = "--out", required = true, description = "The model bundle folder to write.")
  Path out;

  @Option(names = "--overwrite", description = "Replace an existing --out folder that import-lra wrote (refused,"
      + " naming the file, when it holds anything else).")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    ModelBundle.checkReplaceable(out, overwrite); // before the model is built; write checks again
    try (Safetensors st = Safetensors.open(checkpoint)) {
      JsonNode cfg = readConfig(st);
      String mod = module != null ? module : st.metadata().getOrDefault("module", "ModelForSC");
      ModelSpec spec;
      try {
        spec = AuthorsConfig.modelSpec(cfg, mod);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException((config != null ? "--authors-config (" + config + ")"
            : "--weights (" + checkpoint + "), its \"config\" metadata") + ": " + e.getMessage(), e);
      }
      // a bundle of NaN weights would only be refused later, by export: say so now, naming the tensor
      var nonFinite = io.longshort.weights.FiniteValues.problem(st);
      if (nonFinite.isPresent()) {
        throw new IllegalArgumentException("--weights (" + checkpoint + ") holds weights that are not finite: "
            + nonFinite.get() + "; import refused (a model of them answers NaN)");
      }
      try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(spec.maxTokens()).optSeed(0).build()) {
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), st, "",
            AuthorsConfig.stateDictNames(spec));
        report.warnings().forEach(command.commandLine().getErr()::println);
        command.commandLine().getErr().flush();
        ModelBundle.write(out, g, overwrite);
        o.printf("imported %s (%s, %d layers, width %d, %s attention, pooling %s): %d tensors, %,d parameters%n",
            checkpoint.getFileName(), mod.substring(mod.lastIndexOf(':') + 1), spec.layers(), spec.width(),
            spec.attention().kind().jsonName(), spec.pooling().jsonName(), report.loaded().size(),
            g.parameters().count());
        // the count and the names are of the same list (the count once left out the golden files'
        // input./output. tensors while the names included them)
        List<String> ignored = report.unused();
        if (!ignored.isEmpty()) {
          o.println("  " + ignored.size() + (ignored.size() == 1 ? " tensor" : " tensors")
              + " of the checkpoint " + (ignored.size() == 1 ? "is" : "are") + " not a parameter of this model and "
              + (ignored.size() == 1 ? "was" : "were") + " ignored: " + String.join(", ", ignored.stream().limit(8).toList())
              + (ignored.size() > 8 ? ", and " + (ignored.size() - 8) + " more" : ""));
        }
        o.println("  wrote " + out.resolve(ModelBundle.SPEC_FILE) + " and " + out.resolve(ModelBundle.WEIGHTS_FILE));
      }
    }
    o.flush();
    return 0;
  }

  private JsonNode readConfig(Safetensors st) throws IOException {
    JsonNode node;
    if (config != null) {
      if (!Files.isRegularFile(config)) {
        throw new IllegalArgumentException("--authors-config (" + config + "): no such file");
      }
      try {
        node = Json.readTree(config);
      } catch (IOException e) {
        throw new IllegalArgumentException("--authors-config " + e.getMessage());
      }
    } else {
      String meta = st.metadata().get("config");
      if (meta == null) {
        throw new IllegalArgumentException("--authors-config is required: " + checkpoint
            + " has no \"config\" metadata entry");
      }
      node = Json.readTree(meta, checkpoint + ": metadata \"config\"");
    }
    return node.has("model") && node.get("model").isObject() ? node.get("model") : node;
  }
}
