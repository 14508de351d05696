package io.longshort.cli;

import io.longshort.export.GraphDefs;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Writes the GraphDef of each model config into graphs/. */
@Command(name = "export-graphs", mixinStandardHelpOptions = true,
    description = "Writes <out>/<model>.pb (binary GraphDef) and <out>/<model>.pbtxt (text) for each model. Graphs"
        + " hold resource variables, their seeded initializers and the NoOp 'Init' that runs them"
        + " (TensorFlow Java's convention); inputs are input_ids/mask (int32, [batch, length]), the output"
        + " is 'logits'. With --examples, <out>/<model>.example.safetensors holds random inputs"
        + " (input.<name>) and the logits this JVM computed for them (output.logits), for checks in other"
        + " tools. --batch -1 builds graphs for any batch size (TPUs want a static one).")
final class ExportGraphsCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--spec", split = ",", paramLabel = "NAME|FILE",
      description = "Shipped config names or ModelSpec JSON files (default: every shipped config: "
          + "lra_listops, lra_text, lra_retrieval, causal_ls_lm_30x512, char_lm_small).")
  List<String> models;

  @Option(names = "--out", defaultValue = "graphs", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out;

  // -1 (any batch) is allowed here, as the command's description says
  @Mixin
  BatchOption batch = BatchOption.defaultingTo(1);

  @Mixin
  LengthOption length = LengthOption.derivedFrom("the model's maxLength, less one for cls pooling");

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--examples", description = "Also run each graph on random inputs and write them with the logits.")
  boolean examples;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    if (batch.value() == 0 || batch.value() < -1) {
      throw new IllegalArgumentException("--batch (" + batch.value() + ") must be >= 1, or -1 for any batch size");
    }
    if (examples && batch.value() == -1) {
      throw new IllegalArgumentException("--examples needs a static --batch (got -1)");
    }
    for (String name : models == null ? ModelConfigs.SHIPPED : models) {
      // per-row Nystrom inverses: whoever serves the graph may batch requests
      ModelSpec spec = ModelConfigs.load(name).forServing();
      String base = Path.of(name).getFileName().toString().replaceFirst("\\.json$", "");
      int n = length.orElse(spec.maxTokens());
      try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(batch.value()).setLength(n).optSeed(seed.value()).build()) {
        Path pb = GraphDefs.write(g.graph(), out.resolve(base));
        o.printf("%s: %s, %,d parameters -> %s (+ .pbtxt)%n", base, spec.task().jsonName(),
            g.parameters().count(), pb);
        if (examples) {
          Path file = out.resolve(base + ".example.safetensors");
          writeExample(g, n, file);
          o.println("  example inputs and logits -> " + file);
        }
      }
      o.flush();
    }
    return 0;
  }

  /** Random ids in 1..V-2 with padding at the end of every second row; the logits of this graph. */
  private void writeExample(ModelGraph<TFloat32> g, int n, Path file) throws IOException {
    Random rnd = new Random(seed.value());
    int b = Math.toIntExact(batch.value());
    Map<String, int[]> inputs = new LinkedHashMap<>();
    SafetensorsWriter w = new SafetensorsWriter().metadata("model", g.spec().toJson());
    int[] mask = new int[b * n];
    for (int r = 0; r < b; r++) {
      int real = r % 2 == 0 ? n : Math.max(1, n * 2 / 3);
      for (int t = 0; t < real; t++) {
        mask[r * n + t] = 1;
      }
    }
    for (String name : g.inputs().keySet()) {
      int[] v;
      if (name.startsWith("mask")) {
        v = mask;
      } else {
        v = new int[b * n];
        for (int i = 0; i < v.length; i++) {
          v[i] = mask[i] == 0 && !g.inputs().containsKey("mask") && !g.inputs().containsKey("mask_0")
              ? 1 + rnd.nextInt(g.spec().vocabSize() - 2)
              : mask[i] * (1 + rnd.nextInt(g.spec().vocabSize() - 2));
        }
      }
      inputs.put(name, v);
      w.putInts("input." + name, new long[] {b, n}, v);
    }
    double[] logits = g.logits(b, inputs);
    long[] shape = g.outputs().get("logits").shape().asArray();
    shape[0] = b;
    w.putFloats("output.logits", shape, logits);
    w.write(file);
  }
}
