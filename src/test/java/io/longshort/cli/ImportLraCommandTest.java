package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.export.ModelBundle;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

class ImportLraCommandTest {
  @TempDir
  Path dir;

  private static int run(StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));
    return cli.execute(args);
  }

  @Test
  void importedBundleReproducesTheAuthorsLogits() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    Path bundle = dir.resolve("listops");
    assertEquals(0, run(new StringWriter(), "import-lra", "--weights", golden.toString(), "--out", bundle.toString()));
    ModelSpec spec = ModelBundle.readSpec(bundle);
    try (Safetensors st = Safetensors.open(golden);
        ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(2).setLength(128).optSeed(7).build()) {
      ModelBundle.loadWeights(bundle, g);
      double[] logits = g.logits(2, Map.of("input_ids", st.readInts("input.ids_0"), "mask", st.readInts("input.mask_0")));
      double[] expected = st.readDoubles("output.logits");
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], logits[i], 1e-4, "logit " + i);
      }
    }
  }

  /** A copy of {@code from} with {@code tensor}'s first value replaced and its metadata edited. */
  private Path copy(Path from, String tensor, double value, java.util.function.UnaryOperator<String> config)
      throws Exception {
    io.longshort.weights.SafetensorsWriter w = new io.longshort.weights.SafetensorsWriter();
    try (Safetensors st = Safetensors.open(from)) {
      st.metadata().forEach((k, v) -> w.metadata(k, k.equals("config") ? config.apply(v) : v));
      for (String name : st.names()) {
        long[] shape = st.info(name).shape();
        if (st.info(name).dtype().isFloating()) {
          double[] v = st.readDoubles(name);
          if (name.equals(tensor)) {
            v[0] = value;
          }
          w.putFloats(name, shape, v);
        } else {
          w.putInts(name, shape, st.readInts(name));
        }
      }
    }
    Path to = dir.resolve("edited-" + System.nanoTime() + ".safetensors");
    w.write(to);
    return to;
  }

  @Test
  void nonFiniteWeightsAndAbsurdLayerCountsAreRefusedByName() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    String tensor = "model.embeddings.word_embeddings.weight";
    StringWriter err = new StringWriter();
    Path nan = copy(golden, tensor, Double.NaN, c -> c);
    assertEquals(2, run(err, "import-lra", "--weights", nan.toString(), "--out", dir.resolve("nan").toString()));
    assertEquals("error: --weights (" + nan + ") holds weights that are not finite: '" + tensor + "' has 1 NaN of ",
        err.toString().substring(0, err.toString().indexOf(" of ") + 4));
    assertFalse(Files.exists(dir.resolve("nan")), "no bundle written");

    err = new StringWriter();
    Path deep = copy(golden, tensor, 0.5, c -> c.replaceFirst("\"num_layers\"\\s*:\\s*\\d+", "\"num_layers\": 1000000000"));
    long t0 = System.nanoTime();
    assertEquals(2, run(err, "import-lra", "--weights", deep.toString(), "--out", dir.resolve("deep").toString()));
    assertTrue((System.nanoTime() - t0) / 1e9 < 10, "refused within seconds");
    assertTrue(err.toString().startsWith("error: --weights (" + deep + "), its \"config\" metadata: ModelSpec: layers"
        + " (1000000000) is too large: "), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  @Test
  void countsAndNamesTheSameIgnoredTensors() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(new StringWriter()));
    assertEquals(0, cli.execute("import-lra", "--weights", golden.toString(), "--out", dir.resolve("b").toString()));
    // the golden file's example inputs and outputs are no parameters: 3 named, 3 counted
    assertTrue(out.toString().contains("  3 tensors of the checkpoint are not a parameter of this model and were"
        + " ignored: input.ids_0, input.mask_0, output.logits\n"), out.toString());
  }

  @Test
  void refusesToOverwriteAndNeedsAConfig() throws Exception {
    Path golden = Golden.dir().resolve("lra/text_mean_pool.safetensors");
    Path bundle = dir.resolve("text");
    Files.createDirectories(bundle);
    StringWriter err = new StringWriter();
    assertEquals(2, run(err, "import-lra", "--weights", golden.toString(), "--out", bundle.toString()));
    assertTrue(err.toString().contains("exists"), err.toString());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "nothing half-written beside the refused folder");
    }

    Path noConfig = dir.resolve("bare.safetensors");
    new io.longshort.weights.SafetensorsWriter().putFloats("w", new long[] {1}, new double[] {1}).write(noConfig);
    err = new StringWriter();
    assertEquals(2, run(err, "import-lra", "--weights", noConfig.toString(), "--out", dir.resolve("x").toString()));
    assertTrue(err.toString().contains("--authors-config is required"), err.toString());
    assertFalse(Files.exists(dir.resolve("x")));
  }
}
