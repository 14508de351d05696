package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.model.GenerateSignature;
import io.longshort.cli.Main;
import io.longshort.compile.SavedModelTpuCheck;
import io.longshort.compile.TpuCompatibility;
import io.longshort.compile.TpuCompatibility.Kind;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

/**
 * {@code inspect --tpu} on a SavedModel that is not ours (tests/fixtures/
 * planted_savedmodel, written by Python's tf.saved_model.save with
 * scripts/make_planted_savedmodel.py: SegmentSum, which has no XLA kernel, under head/pool in a
 * nested tf.function), and on ours, plain and --xla; {@code inspect} says which signatures XLA
 * compiles.
 */
class InspectTpuTest {
  static final Path PLANTED = Path.of("tests/fixtures/planted_savedmodel");

  @TempDir
  Path dir;

  private static String inspect(Path savedModel, String... extra) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] args = new String[extra.length + 2];
    args[0] = "inspect";
    args[1] = savedModel.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    assertEquals(0, cli.execute(args), err.toString());
    return out.toString();
  }

  @Test
  void flagsThePlantedOpInALibraryFunctionWithItsScope() throws Exception {
    assertTrue(Files.isRegularFile(PLANTED.resolve("saved_model.pb")), "fixture missing");
    Map<String, TpuCompatibility.Report> r = SavedModelTpuCheck.check(PLANTED, 4);
    assertEquals(java.util.List.of("pooled", "serving_default"), java.util.List.copyOf(r.keySet()));
    var planted = r.get("pooled").issues(Kind.NO_XLA_KERNEL);
    assertEquals(1, planted.size(), r.get("pooled").toString());
    assertEquals("SegmentSum", planted.get(0).type());
    assertEquals("head/pool", planted.get(0).scope());
    assertTrue(planted.get(0).detail().contains("in function __inference__pool"), planted.get(0).detail());
    // the dense signature passes: its recorded shapes are open only in the batch
    assertTrue(r.get("serving_default").ok(), r.get("serving_default").toString());
    String out = inspect(PLANTED, "--tpu");
    assertTrue(out.contains("NO_XLA_KERNEL") && out.contains("(SegmentSum) in head/pool"), out);
    assertTrue(out.contains("signature_def['serving_default'] (batch 1): ") && out.contains("no issues"), out);
    assertTrue(out.contains("XLA: not compiled"), out);
  }

  @Test
  void oursPassPlainAndCompiled() throws Exception {
    Map<String, Path> versions = new java.util.LinkedHashMap<>();
    try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(-1).setLength(64).optSeed(3).build()) {
      versions.put("plain", ServingExport.export(g, dir, "plain", null, false, 0).versionDir());
      versions.put("xla", ServingExport.export(g, dir, "xla", null, false, 0, new ExportOptions(true, false))
          .versionDir());
    }
    for (Map.Entry<String, Path> v : versions.entrySet()) {
      Map<String, TpuCompatibility.Report> r = SavedModelTpuCheck.check(v.getValue(), 8);
      // the text signatures (strings in: host preprocessing) are not checked
      assertEquals(java.util.Set.of("serving_default", "classify_ids"), r.keySet());
      r.forEach((k, report) -> assertTrue(report.ok(), v.getKey() + " " + k + ": " + report));
      String out = inspect(v.getValue(), "--tpu", "--batch", "8");
      assertTrue(out.contains("every signature can run as XLA computations with static shapes"), out);
      var meta = SavedModel.parseFrom(Files.readAllBytes(v.getValue().resolve(SavedModelWriter.SAVED_MODEL_FILE)))
          .getMetaGraphs(0);
      for (String key : r.keySet()) {
        String how = CompiledSignatures.describe(meta, key);
        assertTrue(v.getKey().equals("xla") ? how.startsWith("compiled by XLA as a whole: " + key + "_xla")
            : how.startsWith("not compiled"), v.getKey() + " " + key + ": " + how);
      }
    }
    // a language model: serving_default compiles whole; generate compiles its step, and its
    // per-request lengths are dynamic shapes (no missing kernels, no host-only ops)
    Path lm;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(GenerateExportTest.SPEC).setDtype(TFloat32.class).setBatch(-1).setLength(12).optSeed(9).build()) {
      lm = ServingExport.export(g, dir, "lm", null, false, 0, new ExportOptions(true, false)).versionDir();
    }
    Map<String, TpuCompatibility.Report> r = SavedModelTpuCheck.check(lm, 2);
    assertTrue(r.get("serving_default").ok(), r.get("serving_default").toString());
    TpuCompatibility.Report gen = r.get(GenerateSignature.KEY);
    assertTrue(gen.issues(Kind.NO_XLA_KERNEL).isEmpty() && gen.issues(Kind.HOST_ONLY).isEmpty(), gen.toString());
    assertTrue(gen.opNames(Kind.DYNAMIC_SHAPE).contains("prompt_ids"), gen.toString());
    assertTrue(gen.opNames(Kind.DYNAMIC_SHAPE).contains(GenerateSignature.COMPILED_SCOPE + "/new_tokens"), gen.toString());
    String out = inspect(lm);
    assertTrue(out.contains("XLA: partly compiled by XLA: generate_step"), out);
    assertTrue(out.contains("XLA: compiled by XLA as a whole: serving_default_xla"), out);
  }
}
