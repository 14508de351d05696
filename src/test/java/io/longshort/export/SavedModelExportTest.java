package io.longshort.export;

import io.longshort.TestJvm;
import io.longshort.io.TfRecords;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

class SavedModelExportTest {
  private static final int LENGTH = 64;

  @TempDir
  Path dir;

  /** A bundle of {@code model} with seed-7 weights: not what a seed-0 graph's initializers give. */
  private Path bundle(String model) throws IOException {
    Path b = dir.resolve("bundles").resolve(model);
    try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load(model)).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(7).build()) {
      ModelBundle.write(b, g, false);
    }
    return b;
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  private int export(String model, String... extra) throws IOException {
    Path b = dir.resolve("bundles").resolve(model);
    if (!Files.exists(b)) {
      bundle(model);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new java.util.ArrayList<>(List.of("export", "--bundle", b.toString(), "--name", model,
        "--out", dir.resolve("savedmodels").toString(), "--length", Integer.toString(LENGTH)));
    args.addAll(List.of(extra));
    int rc = run(out, err, args.toArray(String[]::new));
    lastErr = err.toString();
    return rc;
  }

  private String lastErr = "";

  /**
   * Classifier, retrieval and language model: exported here, loaded in a fresh JVM with
   * SavedModelBundle.load, the logits match what the ModelGraph computed (within 1e-6), and the
   * warm-up requests run and give the same outputs.
   */
  @Test
  void savedModelsReloadInAFreshJvmWithTheSameOutputs() throws Exception {
    for (String model : new String[] {"lra_listops", "lra_retrieval", "char_lm_small"}) {
      assertEquals(0, export(model), model + ": " + lastErr);
      Path version = dir.resolve("savedmodels").resolve(model).resolve("1");
      assertTrue(Files.isSymbolicLink(version), model + ": a version is a link to its hidden folder, loaded through it");
      Path replayed = dir.resolve(model + ".replayed.safetensors");
      Path log = dir.resolve(model + ".log");
      Process p = new ProcessBuilder(TestJvm.command(SavedModelReplay.class, version.toString(),
          replayed.toString()))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      assertTrue(p.waitFor(180, TimeUnit.SECONDS), model + ": fresh JVM timed out");
      assertEquals(0, p.exitValue(), model + ": fresh JVM failed: " + Files.readString(log));
      Path example = version.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
      try (Safetensors a = Safetensors.open(example); Safetensors b = Safetensors.open(replayed)) {
        for (String out : new String[] {"logits", "probabilities"}) {
          double[] java = a.readDoubles("output." + out);
          assertArrayEquals(java, b.readDoubles("output." + out), 1e-6, model + " " + out);
          assertArrayEquals(java, b.readDoubles("warmup.0." + out), 1e-6, model + " warm-up " + out);
        }
      }
      // the weights are the bundle's, not the initializers' (seed 0)
      try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load(model)).setDtype(TFloat32.class).setBatch(2).setLength(LENGTH).optSeed(0).build();
          Safetensors a = Safetensors.open(example)) {
        Map<String, int[]> in = new java.util.LinkedHashMap<>();
        for (String k : g.inputs().keySet()) {
          in.put(k, a.readInts("input." + k));
        }
        double[] fresh = g.logits(2, in);
        double[] exported = a.readDoubles("output.logits");
        double maxDiff = 0;
        for (int i = 0; i < fresh.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(fresh[i] - exported[i]));
        }
        assertTrue(maxDiff > 1e-3, model + ": exported logits equal the seed-0 initial weights' logits");
      }
      SavedModel sm = SavedModel.parseFrom(Files.readAllBytes(version.resolve(SavedModelWriter.SAVED_MODEL_FILE)));
      MetaGraphDef mg = sm.getMetaGraphs(0);
      assertEquals(List.of("serve"), mg.getMetaInfoDef().getTagsList());
      var sig = mg.getSignatureDefOrThrow("serving_default");
      assertEquals("tensorflow/serving/predict", sig.getMethodName());
      assertEquals(DataType.DT_INT32, sig.getInputsOrThrow(model.equals("lra_retrieval") ? "input_ids_0" : "input_ids").getDtype());
      assertEquals(LENGTH, sig.getInputsOrThrow(model.equals("lra_retrieval") ? "mask_1" : "input_ids")
          .getTensorShape().getDim(1).getSize());
      assertEquals(!model.startsWith("char_lm"), mg.containsSignatureDef("classify_ids"), model + ": classify_ids signature");
      // char_lm: serving_default, generate, score_text and generate_text; the others serving_default,
      // classify_ids, predict_text and classify, and lra_listops's two vocabulary tables' create and fill
      assertEquals(model.equals("lra_listops") ? 8 : 4, mg.getObjectGraphDef().getConcreteFunctionsCount(), model);
      assertTrue(Files.isDirectory(version.resolve("assets")));
      assertTrue(Files.isRegularFile(version.resolve("variables/variables.index")));
      assertTrue(Files.isRegularFile(version.resolve("variables/variables.data-00000-of-00001")));
    }
    String config = Files.readString(dir.resolve("savedmodels").resolve(ServingExport.MODELS_CONFIG));
    assertEquals(List.of("char_lm_small", "lra_listops", "lra_retrieval"),
        ServingConfigProtos.parseModelsConfig(config).stream().map(ServingConfigProtos.Model::name).toList(), config);
    assertTrue(config.contains("model_platform: \"tensorflow\""), config);
    String batching = Files.readString(dir.resolve("savedmodels").resolve(ServingExport.BATCHING_FILE));
    assertEquals(java.util.Set.of("max_batch_size", "batch_timeout_micros", "num_batch_threads", "max_enqueued_batches"),
        ServingConfigProtos.parseBatchingParameters(batching).keySet(), batching);
  }

  /**
   * The warm-up file is TFRecord with valid CRCs of PredictionLogs: serving_default's request with
   * the example inputs, then the text signatures' (classify's a ClassificationRequest).
   */
  @Test
  void warmupFileIsATfRecordOfPredictionLogs() throws Exception {
    assertEquals(0, export("lra_listops", "--model-version", "3"), lastErr);
    Path warm = dir.resolve("savedmodels/lra_listops/3").resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.WARMUP_FILE);
    List<byte[]> records = TfRecords.read(warm);
    // serving_default's, then predict_text's (strings) and classify's (a ClassificationRequest)
    assertEquals(3, records.size());
    ServingProtos.PredictRequest text = ServingProtos.parsePredictionLog(records.get(1));
    assertEquals(TextSignatures.PREDICT_TEXT, text.signatureName());
    assertEquals(org.tensorflow.proto.DataType.DT_STRING, text.inputs().get("text").getDtype());
    assertEquals("[MAX 2 9 [MIN 4 7 ] 0 ]", text.inputs().get("text").getStringVal(0).toStringUtf8());
    ServingProtos.ClassificationRequest c = ServingProtos.parseClassificationLog(records.get(2));
    assertEquals(TextSignatures.CLASSIFY, c.signatureName());
    assertEquals(3L, c.version());
    assertEquals(2, c.examples().size());
    assertEquals("[SM 1 2 ]", org.tensorflow.proto.Example.parseFrom(c.examples().get(1)).getFeatures()
        .getFeatureOrThrow("text").getBytesList().getValue(0).toStringUtf8());
    assertThrows(IOException.class, () -> ServingProtos.parsePredictionLog(records.get(2)));
    ServingProtos.PredictRequest r = ServingProtos.parsePredictionLog(records.get(0));
    assertEquals("lra_listops", r.modelName());
    assertEquals(3L, r.version());
    assertEquals("serving_default", r.signatureName());
    assertEquals(List.of("input_ids", "mask"), List.copyOf(r.inputs().keySet()));
    assertArrayEquals(new long[] {2, LENGTH}, TensorProtos.dims(r.inputs().get("mask")));
    // the mask pads the second row after two thirds
    assertEquals(0, r.inputs().get("mask").getIntVal(2 * LENGTH - 1));
    assertEquals(1, r.inputs().get("mask").getIntVal(LENGTH - 1));
    // flipping any byte breaks a CRC (or the length)
    byte[] bytes = Files.readAllBytes(warm);
    for (int at : new int[] {0, 9, 20, bytes.length - 1}) {
      byte[] bad = bytes.clone();
      bad[at] ^= 0x40;
      Path f = dir.resolve("bad" + at);
      Files.write(f, bad);
      assertThrows(IOException.class, () -> TfRecords.read(f), "corrupted byte " + at);
    }
    // the record layout: uint64 length, masked crc of it, data, masked crc of data
    assertEquals(records.stream().mapToInt(rec -> rec.length + 16).sum(), bytes.length);
  }

  /** An existing version is refused and left as it was; a failed export leaves no folder behind. */
  @Test
  void exportRefusesAnExistingVersionAndLeavesNothingHalfWritten() throws Exception {
    assertEquals(0, export("lra_listops"), lastErr);
    Path models = dir.resolve("savedmodels/lra_listops");
    byte[] v1 = Files.readAllBytes(models.resolve("1/saved_model.pb"));
    assertEquals(2, export("lra_listops", "--model-version", "1"));
    assertTrue(lastErr.contains("exists") && lastErr.contains("--overwrite"), lastErr);
    assertArrayEquals(v1, Files.readAllBytes(models.resolve("1/saved_model.pb")));
    // default version: last + 1
    assertEquals(0, export("lra_listops"), lastErr);
    assertEquals(List.of(1L, 2L), ServingExport.versions(models));
    // a failure after writing, before the rename: no version folder, no temporary folder
    ServingExport.beforePublish = () -> {
      throw new IllegalStateException("disk full (simulated)");
    };
    try {
      assertThrows(IllegalStateException.class, () -> {
        try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(0).build()) {
          ServingExport.export(g, dir.resolve("savedmodels"), "lra_listops", null, false, 0);
        }
      });
      assertThrows(IllegalStateException.class, () -> {
        try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(0).build()) {
          ServingExport.export(g, dir.resolve("savedmodels"), "lra_listops", 2L, true, 0);
        }
      });
    } finally {
      ServingExport.beforePublish = () -> {};
    }
    assertEquals(List.of("1", "2"), VersionFolders.visible(models), "only the finished versions");
    assertEquals(List.of(), VersionFolders.leftovers(models), "no temporary folders");
    // --overwrite replaces a version in one rename
    byte[] v2 = Files.readAllBytes(models.resolve("2/variables/variables.data-00000-of-00001"));
    assertEquals(0, export("lra_listops", "--model-version", "2", "--overwrite", "--seed", "5"), lastErr);
    assertArrayEquals(v2, Files.readAllBytes(models.resolve("2/variables/variables.data-00000-of-00001")));
    assertNotEquals(-1, Files.readString(models.resolve("2/assets.extra/" + ServingExport.EXAMPLE_FILE),
        java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("input.input_ids"));
    assertEquals(List.of("1", "2"), VersionFolders.visible(models));
    assertEquals(List.of(), VersionFolders.leftovers(models), "the replaced version's folder is deleted");
    assertFalse(Files.exists(models.resolve("3")));
  }

  /** TfCheckpoints: save from one graph, restore into another with other initial weights. */
  @Test
  void checkpointsRoundTripWithTf2Keys() throws Exception {
    Path prefix = dir.resolve("ckpt/step-1");
    Map<String, int[]> in = Map.of("input_ids", new int[2 * LENGTH], "mask", filled(2 * LENGTH, 1));
    double[] saved;
    try (ModelGraph<TFloat32> a = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(2).setLength(LENGTH).optSeed(1).build()) {
      saved = a.logits(2, in);
      TfCheckpoints.save(a.session(), a.parameters(), prefix);
    }
    assertTrue(Files.isRegularFile(Path.of(prefix + ".index")));
    assertTrue(Files.isRegularFile(Path.of(prefix + ".data-00000-of-00001")));
    try (ModelGraph<TFloat32> b = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(2).setLength(LENGTH).optSeed(2).build()) {
      double[] before = b.logits(2, in);
      assertFalse(java.util.Arrays.equals(saved, before));
      TfCheckpoints.restore(b.session(), b.parameters(), prefix);
      assertArrayEquals(saved, b.logits(2, in), 0.0);
      assertThrows(IOException.class, () -> TfCheckpoints.restore(b.session(), b.parameters(), dir.resolve("nothing")));
    }
    // export from the training checkpoint: the SavedModel carries the checkpoint's weights (seed 1)
    assertEquals(0, run(new StringWriter(), new StringWriter(), "export", "--checkpoint", prefix.toString(),
        "--spec", "lra_listops", "--name", "from_ckpt", "--out", dir.resolve("savedmodels").toString(),
        "--length", Integer.toString(LENGTH)));
    Path example = dir.resolve("savedmodels/from_ckpt/1").resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
    try (ModelGraph<TFloat32> a = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(2).setLength(LENGTH).optSeed(1).build();
        Safetensors ex = Safetensors.open(example)) {
      double[] direct = a.logits(2, Map.of("input_ids", ex.readInts("input.input_ids"), "mask", ex.readInts("input.mask")));
      assertArrayEquals(direct, ex.readDoubles("output.logits"), 1e-6);
    }
    assertEquals("model/transformer_0/mha/W_q/weight/.ATTRIBUTES/VARIABLE_VALUE",
        TrackableTree.checkpointKey("model.transformer_0.mha.W_q.weight"));
  }

  private static int[] filled(int n, int v) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, v);
    return a;
  }
}
