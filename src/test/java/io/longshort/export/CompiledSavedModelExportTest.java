package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.graph.model.GenerateSignature;
import io.longshort.cli.Main;
import io.longshort.compile.XlaFunction;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

/**
 * {@code export --xla} and {@code export --bf16} against the plain float32 export of the same
 * bundle: every version is loaded in a fresh JVM (SavedModelBundle, TF1-style: the signature
 * defs' tensors, as TF Serving runs them), its serving_default and warm-up requests run, and the
 * outputs compared with the exporting JVM's plain graph (assets.extra/example.safetensors). The
 * fresh JVM dumps what XLA compiles ({@code XLA_FLAGS=--xla_dump_to}), which shows that the
 * requests ran through the compiled functions.
 *
 * <p>bf16 tolerance: bfloat16 keeps 8 significant bits, so one rounding errs by at most u = 2^-8
 * relatively; the logits sit behind about k = 6 L + 4 roundings of values of their scale (per
 * block: the attention's projections and output, the two MLP matmuls, GELU, the residual sums;
 * plus embeddings and head; softmax and LayerNorm statistics run in float32 and LayerNorm resets
 * the scale), which add like a random walk, sqrt(k) u. We allow twice that, 2 sqrt(6 L + 4) u of
 * the logits' scale (their largest magnitude, at least 1): 8u = 3.1e-2 for the 2-layer models,
 * the bound {@code MixedPrecisionGoldenTest} holds on the golden models (measured 1.7u .. 2.9u).
 * Probabilities move by at most twice the largest logit error (dp_i = p_i (dz_i - sum_j p_j dz_j)).
 */
class CompiledSavedModelExportTest {
  private static final int LENGTH = 64;
  private static final double U = Math.scalb(1.0, -8);

  @TempDir
  Path dir;

  private String lastErr = "";

  private void bundle(String model) throws IOException {
    Path b = dir.resolve("bundles").resolve(model);
    if (!Files.exists(b)) {
      // seed-7 weights, not what a seed-0 graph's initializers give
      try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load(model)).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(7).build()) {
        ModelBundle.write(b, g, false);
      }
    }
  }

  /** Exports the bundle of {@code model} as savedmodels/{@code name}/1 with {@code flags}. */
  private Path export(String model, String name, String... flags) throws IOException {
    bundle(model);
    List<String> args = new ArrayList<>(List.of("export", "--bundle", dir.resolve("bundles").resolve(model).toString(),
        "--name", name, "--out", dir.resolve("savedmodels").toString(), "--length", Integer.toString(LENGTH)));
    args.addAll(List.of(flags));
    CommandLine cli = Main.commandLine();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args.toArray(String[]::new)), name + ": " + err);
    return dir.resolve("savedmodels").resolve(name).resolve("1");
  }

  /** Runs {@link SavedModelReplay} on {@code version} in a fresh JVM; returns its outputs file. */
  private Path replay(Path version, Path xlaDump) throws Exception {
    Path out = dir.resolve(version.getParent().getFileName() + ".replayed.safetensors");
    Path log = dir.resolve(version.getParent().getFileName() + ".log");
    ProcessBuilder pb = new ProcessBuilder(TestJvm.command(SavedModelReplay.class, version.toString(),
        out.toString())).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("XLA_FLAGS", "--xla_dump_to=" + xlaDump);
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), version + ": fresh JVM timed out");
    assertEquals(0, p.exitValue(), version + ": fresh JVM failed: " + Files.readString(log));
    return out;
  }

  /** Whether XLA compiled a module whose name holds {@code function} (files of xla_dump_to). */
  static boolean compiled(Path xlaDump, String function) throws IOException {
    if (!Files.isDirectory(xlaDump)) {
      return false;
    }
    try (Stream<Path> files = Files.list(xlaDump)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith("module_")
          && f.getFileName().toString().contains(function));
    }
  }

  private static double maxDiff(double[] a, double[] b) {
    assertEquals(a.length, b.length);
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  private static MetaGraphDef meta(Path version) throws IOException {
    return SavedModel.parseFrom(Files.readAllBytes(version.resolve(SavedModelWriter.SAVED_MODEL_FILE))).getMetaGraphs(0);
  }

  private static boolean mustCompile(NodeDef n) {
    return n.getOp().equals(XlaFunction.CALL_OP) && n.getAttrMap().containsKey(XlaFunction.MUST_COMPILE_ATTR)
        && n.getAttrMap().get(XlaFunction.MUST_COMPILE_ATTR).getB();
  }

  /**
   * --xla: classifier, retrieval and language model. The signature defs' outputs come from
   * must-compile calls whose functions carry _XlaMustCompile; each TF2 signature function calls
   * one; the fresh JVM compiles serving_default (example inputs and warm-up request) and gives the
   * plain graph's outputs within 1e-5.
   */
  @Test
  void xlaExportsServeThroughCompiledFunctionsWithThePlainOutputs() throws Exception {
    for (String model : new String[] {"lra_listops", "lra_retrieval", "char_lm_small"}) {
      Path version = export(model, model + "_xla", "--xla");
      MetaGraphDef mg = meta(version);
      List<String> keys = new ArrayList<>(mg.getSignatureDefMap().keySet());
      keys.remove(GenerateSignature.KEY);
      // TF's init-op signature (fills the vocabulary tables) serves nothing
      keys.removeIf(k -> k.startsWith("__saved_model_init_op"));
      // the text signatures encode strings with host ops (no XLA kernels) and call the id
      // computation as a must-compile function (generate_text: generate's loop, as generate)
      keys.remove(TextSignatures.GENERATE_TEXT);
      for (String key : List.of(TextSignatures.PREDICT_TEXT, TextSignatures.CLASSIFY, TextSignatures.SCORE_TEXT)) {
        if (keys.remove(key)) {
          assertTrue(mg.getGraphDef().getNodeList().stream()
              .anyMatch(n -> n.getName().startsWith("text_serving/" + key + "/") && mustCompile(n)),
              model + " " + key + ": no must-compile call of the id computation");
        }
      }
      assertFalse(keys.isEmpty());
      for (String key : keys) {
        String callName = CompiledSignatures.scope(key) + "/call";
        NodeDef call = mg.getGraphDef().getNodeList().stream().filter(n -> n.getName().equals(callName)).findFirst()
            .orElseThrow(() -> new AssertionError(model + ": no " + callName));
        assertTrue(mustCompile(call), model + " " + key + ": " + call);
        String fn = call.getAttrMap().get("f").getFunc().getName();
        FunctionDef def = mg.getGraphDef().getLibrary().getFunctionList().stream()
            .filter(f -> f.getSignature().getName().equals(fn)).findFirst().orElseThrow();
        assertTrue(def.getAttrMap().get(XlaFunction.MUST_COMPILE_ATTR).getB(), model + " " + fn);
        mg.getSignatureDefMap().get(key).getOutputsMap().values().forEach(t ->
            assertTrue(t.getName().startsWith(CompiledSignatures.scope(key) + "/"), model + " " + key + ": " + t));
        // the TF2 signature function (what tf.saved_model.load calls) is the call
        String tf2 = mg.getObjectGraphDef().getNodesList().stream().filter(n -> n.hasBareConcreteFunction())
            .map(n -> n.getBareConcreteFunction().getConcreteFunctionName())
            .filter(name -> name.startsWith(key + "_") && !name.startsWith(CompiledSignatures.scope(key)))
            .findFirst().orElseThrow(() -> new AssertionError(model + ": no TF2 function for " + key));
        FunctionDef wrapper = mg.getGraphDef().getLibrary().getFunctionList().stream()
            .filter(f -> f.getSignature().getName().equals(tf2)).findFirst().orElseThrow();
        assertTrue(wrapper.getNodeDefList().stream().anyMatch(CompiledSavedModelExportTest::mustCompile),
            model + ": TF2 function " + tf2 + " calls no must-compile function");
      }
      Path dump = dir.resolve(model + ".xla_dump");
      Path replayed = replay(version, dump);
      assertTrue(compiled(dump, CompiledSignatures.scope(SavedModelWriter.DEFAULT_SIGNATURE)),
          model + ": the fresh JVM compiled no serving_default_xla module");
      Path example = version.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
      try (Safetensors a = Safetensors.open(example); Safetensors b = Safetensors.open(replayed)) {
        for (String out : new String[] {"logits", "probabilities"}) {
          double[] plain = a.readDoubles("output." + out);
          double d = maxDiff(plain, b.readDoubles("output." + out));
          double w = maxDiff(plain, b.readDoubles("warmup.0." + out));
          System.out.printf("%s --xla %s: max |xla - plain| %.3g, warm-up %.3g%n", model, out, d, w);
          assertTrue(d <= 1e-5 && w <= 1e-5, model + " " + out + ": " + d + ", warm-up " + w);
        }
      }
    }
  }

  /**
   * --bf16 and --xla --bf16 against the float32 export, each in a fresh JVM: float32 signature
   * inputs and outputs and checkpoint variables, bfloat16 ops inside the served functions, logits
   * within the bf16 tolerance (class comment) of the float32 ones.
   */
  @Test
  void bf16ExportsAgreeWithTheFloat32ExportWithinBf16Tolerance() throws Exception {
    for (String model : new String[] {"lra_listops", "char_lm_small"}) {
      Path f32 = export(model, model + "_f32");
      double[][] reference;
      try (Safetensors r = Safetensors.open(replay(f32, dir.resolve(model + ".f32_dump")))) {
        reference = new double[][] {r.readDoubles("output.logits"), r.readDoubles("output.probabilities")};
      }
      int layers = ModelConfigs.load(model).layers();
      double scale = 1;
      for (double v : reference[0]) {
        scale = Math.max(scale, Math.abs(v));
      }
      double tol = 2 * Math.sqrt(6 * layers + 4) * U * scale;
      for (String[] flags : new String[][] {{"--bf16"}, {"--xla", "--bf16"}}) {
        String name = model + (flags.length == 2 ? "_xla_bf16" : "_bf16");
        Path version = export(model, name, flags);
        MetaGraphDef mg = meta(version);
        mg.getSignatureDefMap().forEach((key, sig) -> {
          // ids, floats, seeds, and the text signatures' strings: never bfloat16 on the wire
          sig.getInputsMap().forEach((k, t) -> assertTrue(t.getDtype() == DataType.DT_INT32
              || t.getDtype() == DataType.DT_FLOAT || t.getDtype() == DataType.DT_INT64
              || t.getDtype() == DataType.DT_STRING, name + " " + key + " " + k));
          sig.getOutputsMap().forEach((k, t) -> assertTrue(t.getDtype() != DataType.DT_BFLOAT16, name + " " + k));
        });
        assertTrue(mg.getObjectGraphDef().getNodesList().stream().filter(n -> n.hasVariable())
            .allMatch(n -> n.getVariable().getDtype() == DataType.DT_FLOAT), name + ": float32 variables");
        assertTrue(mg.getGraphDef().getLibrary().getFunctionList().stream().flatMap(f -> f.getNodeDefList().stream())
            .anyMatch(n -> (n.getOp().equals("MatMul") || n.getOp().equals("BatchMatMulV2"))
                && n.getAttrMap().values().stream().anyMatch(v -> v.getType() == DataType.DT_BFLOAT16)),
            name + ": bf16 matmuls in the served functions");
        Path dump = dir.resolve(name + ".xla_dump");
        try (Safetensors r = Safetensors.open(replay(version, dump));
            Safetensors ex = Safetensors.open(version.resolve(ServingExport.ASSETS_EXTRA)
                .resolve(ServingExport.EXAMPLE_FILE))) {
          double[] logits = r.readDoubles("output.logits");
          double[] probs = r.readDoubles("output.probabilities");
          double dl = maxDiff(reference[0], logits);
          double dp = maxDiff(reference[1], probs);
          // the example holds the exporting JVM's plain bf16 graph: the same ops when not compiled
          double self = maxDiff(ex.readDoubles("output.logits"), logits);
          System.out.printf("%s %s: max |bf16 - f32| logits %.3g (%.2fu of scale %.3g; tolerance %.3g), "
              + "probabilities %.3g; vs the exporting JVM's bf16 graph %.3g%n", model, String.join(" ", flags), dl,
              dl / (U * scale), scale, tol, dp, self);
          assertTrue(dl <= tol, name + ": logits " + dl + " > " + tol);
          assertTrue(dp <= 2 * tol, name + ": probabilities " + dp + " > " + 2 * tol);
          if (flags.length == 1) {
            assertTrue(self <= 1e-5, name + ": fresh JVM vs exporting JVM " + self);
          } else {
            assertTrue(compiled(dump, CompiledSignatures.scope(SavedModelWriter.DEFAULT_SIGNATURE)), name);
          }
        }
      }
    }
  }
}
