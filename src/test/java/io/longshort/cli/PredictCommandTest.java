package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longshort.export.ModelBundle;
import io.longshort.export.ServingExport;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.weights.Safetensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

class PredictCommandTest {
  private static final int LENGTH = 32;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;
  static Path version;
  static int[] ids;
  static int[] mask;
  static double[] logits;

  @BeforeAll
  static void exportAModel() throws Exception {
    Path bundle = dir.resolve("listops");
    try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load("lra_listops")).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(3).build()) {
      ModelBundle.write(bundle, g, false);
    }
    String[] out = new String[1];
    assertEquals(0, run(out, "export", "--bundle", bundle.toString(), "--out", dir.resolve("sm").toString(),
        "--length", Integer.toString(LENGTH)), out[0]);
    version = dir.resolve("sm/listops/1");
    try (Safetensors ex = Safetensors.open(version.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE))) {
      ids = ex.readInts("input.input_ids");
      mask = ex.readInts("input.mask");
      logits = ex.readDoubles("output.logits");
    }
  }

  private static int run(String[] out, String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    int rc = cli.execute(args);
    out[0] = o + e.toString();
    return rc;
  }

  private static JsonNode predict(int expectRc, String request) throws Exception {
    String[] out = new String[1];
    int rc = run(out, "predict", "--saved-model", dir.resolve("sm/listops").toString(), "--json", request);
    assertEquals(expectRc, rc, out[0]);
    return JSON.readTree(out[0]);
  }

  private static ArrayNode row(int[] v, int r) {
    ArrayNode a = JSON.createArrayNode();
    for (int t = 0; t < LENGTH; t++) {
      a.add(v[r * LENGTH + t]);
    }
    return a;
  }

  private static String rowsRequest() {
    ObjectNode req = JSON.createObjectNode();
    ArrayNode instances = req.putArray("instances");
    for (int r = 0; r < 2; r++) {
      ObjectNode i = instances.addObject();
      i.set("input_ids", row(ids, r));
      i.set("mask", row(mask, r));
    }
    return req.toString();
  }

  private static String columnsRequest(String signature) {
    ObjectNode req = JSON.createObjectNode();
    if (signature != null) {
      req.put("signature_name", signature);
    }
    ObjectNode in = req.putObject("inputs");
    in.putArray("input_ids").add(row(ids, 0)).add(row(ids, 1));
    in.putArray("mask").add(row(mask, 0)).add(row(mask, 1));
    return req.toString();
  }

  @Test
  void rowAndColumnarRequestsGiveTheExportedLogits() throws Exception {
    JsonNode rows = predict(0, rowsRequest());
    assertEquals(2, rows.get("predictions").size());
    JsonNode cols = predict(0, columnsRequest(null));
    for (int r = 0; r < 2; r++) {
      JsonNode pr = rows.get("predictions").get(r);
      double sum = 0;
      for (int c = 0; c < 10; c++) {
        assertEquals(logits[r * 10 + c], pr.get("logits").get(c).asDouble(), 1e-6);
        assertEquals(logits[r * 10 + c], cols.get("outputs").get("logits").get(r).get(c).asDouble(), 1e-6);
        sum += pr.get("probabilities").get(c).asDouble();
      }
      assertEquals(1.0, sum, 1e-5);
    }
    JsonNode classify = predict(0, columnsRequest("classify_ids"));
    assertEquals(2, classify.get("outputs").get("classes").size());
    assertEquals(10, classify.get("outputs").get("scores").get(0).size());
  }

  @Test
  void badRequestsAnswerTfServingStyleErrors() throws Exception {
    String ids0 = row(ids, 0).toString();
    String mask0 = row(mask, 0).toString();
    String[][] cases = {
        {"{\"instances\": [{\"input_ids\": " + ids0 + ", \"mask\": " + mask0 + ", \"extra\": [1]}]}", "unknown input 'extra'"},
        {"{\"inputs\": {\"input_idz\": [" + ids0 + "], \"mask\": [" + mask0 + "]}}", "unknown input 'input_idz'"},
        {"{\"inputs\": {\"mask\": [" + mask0 + "]}}", "missing input 'input_ids'"},
        {"{\"inputs\": {\"input_ids\": [" + ids0.replaceFirst("\\[\\d+", "[1.5") + "], \"mask\": [" + mask0 + "]}}", "expected int32"},
        {"{\"inputs\": {\"input_ids\": [" + ids0.replaceFirst("\\[\\d+", "[\"a\"") + "], \"mask\": [" + mask0 + "]}}", "expected int32"},
        {"{\"inputs\": {\"input_ids\": " + ids0 + ", \"mask\": [" + mask0 + "]}}", "expected rank 2"},
        {"{\"instances\": [{\"input_ids\": [1, 2, 3], \"mask\": [1, 1, 1]}]}", "must be " + LENGTH},
        {"{\"instances\": [], \"inputs\": {}}", "Not both"},
        {"{\"signature_name\": \"serving_default\"}", "Missing 'inputs' or 'instances'"},
        {"{\"instances\": [1, 2", "JSON Parse error"},
        {"{\"signature_name\": \"nope\", \"instances\": []}", "\\\"nope\\\" not found"},
    };
    for (String[] c : cases) {
      JsonNode answer = predict(2, c[0]);
      assertEquals(1, answer.size(), answer.toString());
      assertTrue(answer.get("error").asText().contains(c[1].replace("\\\"", "\"")),
          "request " + c[0].substring(0, Math.min(60, c[0].length())) + " -> " + answer);
    }
  }

  @Test
  void outOfVocabularyIdsTooLargeBatchesAndTrailingTextAreBadRequests() throws Exception {
    int vocab = ModelConfigs.load("lra_listops").vocabSize();
    String mask0 = row(mask, 0).toString();
    for (int bad : new int[] {99999, -1, vocab}) {
      ArrayNode ids0 = row(ids, 0);
      ids0.set(3, JSON.getNodeFactory().numberNode(bad));
      JsonNode answer = predict(2, "{\"instances\": [{\"input_ids\": " + ids0 + ", \"mask\": " + mask0 + "}]}");
      assertEquals("input 'input_ids': id " + bad + " at [0, 3] is outside the vocabulary: ids must be in [0, "
          + vocab + ")", answer.get("error").asText());
    }
    ObjectNode big = JSON.createObjectNode();
    ArrayNode instances = big.putArray("instances");
    for (int r = 0; r < 33; r++) {
      instances.addObject().<ObjectNode>set("input_ids", row(ids, 0)).set("mask", row(mask, 0));
    }
    assertEquals("Task size 33 is larger than maximum input batch size 32 (max_batch_size in "
        + dir.resolve("sm/batching_parameters.txt").toAbsolutePath() + "); split the request",
        predict(2, big.toString()).get("error").asText());
    instances.remove(32);
    assertEquals(32, predict(0, big.toString()).get("predictions").size(), "32 rows are allowed");
    assertEquals("JSON Parse error: The document root must not be followed by other values at line 1, column "
        + (rowsRequest().length() + 2), predict(2, rowsRequest() + " {}").get("error").asText());
    assertTrue(predict(2, rowsRequest() + " x").get("error").asText().startsWith("JSON Parse error: "));
  }

  @Test
  void masksOtherThan0Or1AreRefusedByTheGraphAndA1dInputIsARankError() throws Exception {
    String ids0 = row(ids, 0).toString();
    for (int bad : new int[] {2, -1}) {
      ArrayNode mask0 = row(mask, 0);
      mask0.set(1, JSON.getNodeFactory().numberNode(bad));
      String error = predict(2, "{\"instances\": [{\"input_ids\": " + ids0 + ", \"mask\": " + mask0 + "}]}")
          .get("error").asText();
      assertTrue(error.startsWith("assertion failed: [mask: every value must be 0 (padding) or 1 (token); got]"), error);
    }
    // 128 ids as one 1-D input: a rank error, not "Task size 128 is larger than ... 32"
    ArrayNode flat = JSON.createArrayNode();
    for (int i = 0; i < 128; i++) {
      flat.add(1);
    }
    String error = predict(2, "{\"inputs\": {\"input_ids\": " + flat + ", \"mask\": [" + row(mask, 0) + "]}}")
        .get("error").asText();
    assertTrue(error.startsWith("input 'input_ids': expected rank 2"), error);
  }

  @Test
  void truncatedVariablesAreNamedNotReadLessBytes() throws Exception {
    Path copy = dir.resolve("truncated/listops/1");
    Path real = version.toRealPath(); // the version folder is a link to its hidden real folder
    try (var files = java.nio.file.Files.walk(real)) {
      for (Path f : files.toList()) {
        Path to = copy.resolve(real.relativize(f).toString());
        if (java.nio.file.Files.isDirectory(f)) {
          java.nio.file.Files.createDirectories(to);
        } else {
          java.nio.file.Files.copy(f, to);
        }
      }
    }
    Path data = copy.resolve("variables/variables.data-00000-of-00001");
    byte[] bytes = java.nio.file.Files.readAllBytes(data);
    java.nio.file.Files.write(data, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    String[] out = new String[1];
    assertEquals(2, run(out, "predict", "--saved-model", copy.toString(), "--json", rowsRequest()), out[0]);
    assertTrue(out[0].startsWith("error: cannot load the SavedModel in " + copy + ": its saved_model.pb or variables/"
        + " files are truncated or damaged (TensorFlow: "), out[0]);
    assertEquals(1, out[0].strip().lines().count(), out[0]);
  }

  @Test
  void inspectShowsSignaturesWithDtypesAndShapes() {
    String[] out = new String[1];
    assertEquals(0, run(out, "inspect", version.toString()));
    String s = out[0];
    assertTrue(s.contains("MetaGraphDef with tag-set: 'serve'"), s);
    assertTrue(s.contains("signature_def['serving_default']:"), s);
    assertTrue(s.contains("signature_def['classify']:"), s);
    assertTrue(s.contains("inputs['input_ids'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1, " + LENGTH + ")"), s);
    assertTrue(s.contains("outputs['probabilities'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 10)"), s);
    assertTrue(s.contains("Method name is: tensorflow/serving/predict"), s);
    assertEquals(2, run(out, "inspect", dir.toString()));
    assertTrue(out[0].contains("not a SavedModel"), out[0]);
  }
}
