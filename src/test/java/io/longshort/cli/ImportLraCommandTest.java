package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.export.ModelBundle;
import io.longshort.graph.model.ModelGraph;
import io.longshort.io.OwnedFiles;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    assertGivesTheGoldenLogits(bundle, spec, golden);
  }

  /**
   * learn_pos_emb = 0 is read by nothing in the authors' code: Embeddings.forward (lra/model.py)
   * adds the learned position table whatever it says, so a config with learn_pos_emb = 0 imports
   * as learned positions and gives the golden logits (made with learn_pos_emb = 1).
   */
  @Test
  void learnPosEmbZeroImportsAsWhatTheirForwardComputes() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    Path configFile = goldenConfigWith(golden, "config.json", model -> model.put("learn_pos_emb", 0));
    Path bundle = dir.resolve("no_learn_pos_emb");
    assertEquals(0, run(new StringWriter(), "import-lra", "--weights", golden.toString(), "--authors-config",
        configFile.toString(), "--out", bundle.toString()));
    ModelSpec spec = ModelBundle.readSpec(bundle);
    assertEquals(io.longshort.spec.Positions.LEARNED, spec.positions());
    assertGivesTheGoldenLogits(bundle, spec, golden);
  }

  /** Their Performer is not ours (kernel, temperature, padding, projection): refused with the reasons. */
  @Test
  void refusesTheAuthorsPerformerWithTheReason() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    Path configFile = goldenConfigWith(golden, "performer.json",
        model -> model.put("attn_type", "performer").put("rp_dim", 256));
    StringWriter err = new StringWriter();
    Path out = dir.resolve("performer");
    assertEquals(2, run(err, "import-lra", "--weights", golden.toString(), "--authors-config", configFile.toString(),
        "--out", out.toString()));
    String e = err.toString();
    assertTrue(e.contains("attn_type \"performer\" cannot be imported: our Performer does not compute theirs"), e);
    assertTrue(e.contains("without generalized_attention") && e.contains("head_dim^1/4")
        && e.contains("padded keys") && e.contains("drawn from a seed"), e);
    assertFalse(Files.exists(out), "nothing written");
  }

  /** --overwrite replaces a bundle import-lra wrote, and refuses a folder holding anything else by name. */
  @Test
  void overwriteReplacesOnlyABundleItWrote() throws Exception {
    Path golden = Golden.dir().resolve("lra/listops_cls_last_layer.safetensors");
    Path notes = Files.createDirectories(dir.resolve("mine")).resolve("notes.txt");
    Files.writeString(notes, "my notes");
    StringWriter err = new StringWriter();
    assertEquals(2, run(err, "import-lra", "--weights", golden.toString(), "--out", notes.getParent().toString(),
        "--overwrite"));
    assertEquals("error: " + notes.toRealPath() + " was not written by import-lra (the folder has no "
        + OwnedFiles.MARKER + "); --overwrite replaces only what import-lra wrote: move it away or choose another"
        + " --out\n", err.toString());
    assertEquals("my notes", Files.readString(notes));
    assertEquals(List.of("notes.txt"), names(notes.getParent()));

    Path bundle = dir.resolve("bundle");
    assertEquals(0, run(new StringWriter(), "import-lra", "--weights", golden.toString(), "--out", bundle.toString()));
    assertEquals(List.of(OwnedFiles.MARKER, ModelBundle.SPEC_FILE, ModelBundle.WEIGHTS_FILE), names(bundle));
    err = new StringWriter();
    assertEquals(2, run(err, "import-lra", "--weights", golden.toString(), "--out", bundle.toString()));
    assertEquals("error: " + bundle + " exists; choose another folder or replace it (--overwrite)\n", err.toString());
    assertEquals(0, run(new StringWriter(), "import-lra", "--weights", golden.toString(), "--out", bundle.toString(),
        "--overwrite"));
    assertEquals(List.of(OwnedFiles.MARKER, ModelBundle.SPEC_FILE, ModelBundle.WEIGHTS_FILE), names(bundle));
    // nothing hidden is left beside it (the old bundle moved aside, then deleted)
    assertEquals(List.of("bundle", "mine"), names(dir));
  }

  private static List<String> names(Path folder) throws java.io.IOException {
    try (var s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
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

  /** The imported bundle, built with {@code spec}, gives the golden case's logits within 1e-4. */
  private static void assertGivesTheGoldenLogits(Path bundle, ModelSpec spec, Path golden) throws Exception {
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

  /** The golden case's authors' config with its model section edited, written to {@code name}. */
  private Path goldenConfigWith(Path golden, String name,
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode config;
    try (Safetensors st = Safetensors.open(golden)) {
      config = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(st.metadata().get("config"));
    }
    com.fasterxml.jackson.databind.node.ObjectNode model = config.has("model")
        ? (com.fasterxml.jackson.databind.node.ObjectNode) config.get("model") : config;
    edit.accept(model);
    Path configFile = dir.resolve(name);
    Files.writeString(configFile, config.toString());
    return configFile;
  }
}
