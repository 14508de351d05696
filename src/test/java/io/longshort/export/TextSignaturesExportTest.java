package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.TextTokenizer;
import io.longshort.data.TokenEncoding;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.Task;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The text signatures of every family, loaded back with TF Java's SavedModelBundle (TensorFlow's
 * C++ loader, as TF Serving's): the strings' logits equal the id signature's for Java's encoding
 * of the same strings ({@link TextTokenizer#encode}), edge cases included.
 */
class TextSignaturesExportTest {
  private static final int LENGTH = 16;

  @TempDir
  Path dir;

  /** Empty, invalid UTF-8 only, NUL bytes, a 4-byte character, longer than N. */
  static final List<byte[]> BYTE_CASES = List.of(new byte[0], new byte[] {(byte) 0xff, (byte) 0xc0, (byte) 0x80},
      "a\0b\0".getBytes(StandardCharsets.ISO_8859_1), "x\uD83D\uDE00y".getBytes(StandardCharsets.UTF_8),
      "this text is longer than sixteen bytes".getBytes(StandardCharsets.UTF_8));
  /** ListOps: a short expression, one longer than N, whitespace only. */
  static final List<byte[]> LISTOPS_CASES = List.of("( [MAX 2 9 ] )".getBytes(StandardCharsets.US_ASCII),
      "[MIN 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 ]".getBytes(StandardCharsets.US_ASCII),
      " \t\n ".getBytes(StandardCharsets.US_ASCII));

  private Path export(String config, List<String> labels) throws Exception {
    try (ModelGraph<TFloat32> g = ModelGraph.builder(ModelConfigs.load(config)).setDtype(TFloat32.class).setBatch(-1)
        .setLength(LENGTH).optSeed(3).build()) {
      return ServingExport.export(g, dir, config, null, false, 0, ExportOptions.PLAIN.withLabels(labels)).versionDir();
    }
  }

  @Test
  void classifierTextSignaturesGiveTheIdSignaturesLogits() throws Exception {
    for (String config : new String[] {"lra_text", "lra_listops", "lra_retrieval"}) {
      var spec = ModelConfigs.load(config);
      List<String> labels = new ArrayList<>();
      for (int c = 0; c < spec.classes(); c++) {
        labels.add("label " + c);
      }
      Path v = export(config, labels);
      TextTokenizer tok = TextSignatures.tokenizer(spec);
      List<byte[]> cases = config.equals("lra_listops") ? LISTOPS_CASES : BYTE_CASES;
      assertEquals(String.join("\n", labels) + "\n", Files.readString(v.resolve("assets").resolve(SavedModelWriter.LABELS_ASSET)));
      try (SavedModelBundle b = SavedModelBundle.load(v.toString(), SavedModelWriter.TAG)) {
        MetaGraphDef meta = b.metaGraphDef();
        SignatureDef text = meta.getSignatureDefOrThrow(TextSignatures.PREDICT_TEXT);
        SignatureDef ids = meta.getSignatureDefOrThrow("serving_default");
        boolean pair = spec.task() == Task.RETRIEVAL;
        Map<String, byte[][]> textIn = new java.util.LinkedHashMap<>();
        Map<String, int[][]> idIn = new java.util.LinkedHashMap<>();
        int rows = cases.size();
        for (String suffix : pair ? List.of("_0", "_1") : List.of("")) {
          byte[][] strings = new byte[rows][];
          int[][] idsArr = new int[2][rows * LENGTH];
          for (int r = 0; r < rows; r++) {
            // the second tower reads the cases in reverse
            strings[r] = cases.get(suffix.equals("_1") ? rows - 1 - r : r);
            TokenEncoding e = tok.encode(strings[r], LENGTH);
            System.arraycopy(e.ids(), 0, idsArr[0], r * LENGTH, LENGTH);
            System.arraycopy(e.mask(), 0, idsArr[1], r * LENGTH, LENGTH);
          }
          textIn.put("text" + suffix, strings);
          idIn.put("input_ids" + suffix, new int[][] {idsArr[0]});
          idIn.put("mask" + suffix, new int[][] {idsArr[1]});
        }
        Map<String, Tensor> fed = new java.util.LinkedHashMap<>();
        textIn.forEach((k, s) -> fed.put(text.getInputsOrThrow(k).getName(), TString.tensorOfBytes(NdArrays.vectorOfObjects(s))));
        List<Object> got = run(b.session(), fed, List.of(text.getOutputsOrThrow("logits").getName(),
            text.getOutputsOrThrow("classes").getName(), text.getOutputsOrThrow("scores").getName()));
        Map<String, Tensor> fedIds = new java.util.LinkedHashMap<>();
        idIn.forEach((k, a) -> fedIds.put(ids.getInputsOrThrow(k).getName(), HostTensors.ints(new long[] {rows, LENGTH}, a[0])));
        List<Object> want = run(b.session(), fedIds, List.of(ids.getOutputsOrThrow("logits").getName()));
        double[] logits = (double[]) want.get(0);
        assertArrayEquals(logits, (double[]) got.get(0), 0.0, config + ": text logits = id logits");
        // classes best first: the first is the argmax of the id logits
        String[] classes = (String[]) got.get(1);
        int c = spec.classes();
        for (int r = 0; r < rows; r++) {
          int best = 0;
          for (int k = 1; k < c; k++) {
            best = logits[r * c + k] > logits[r * c + best] ? k : best;
          }
          assertEquals(labels.get(best), classes[r * c], config + " row " + r);
        }
        fed.values().forEach(Tensor::close);
        fedIds.values().forEach(Tensor::close);
        SignatureDef classify = meta.getSignatureDefOrThrow(TextSignatures.CLASSIFY);
        assertEquals(TextSignatures.CLASSIFY_METHOD, classify.getMethodName());
        assertEquals(List.of("inputs"), List.copyOf(classify.getInputsMap().keySet()));
        assertEquals(DataType.DT_STRING, classify.getInputsOrThrow("inputs").getDtype());
        assertEquals(DataType.DT_STRING, classify.getOutputsOrThrow("classes").getDtype());
        assertEquals(DataType.DT_FLOAT, classify.getOutputsOrThrow("scores").getDtype());
        assertTrue(meta.containsSignatureDef("classify_ids"), config);
      }
    }
  }

  /**
   * The ListOps vocabulary is an asset as TF registers one (asset_file_def, the TF1 collection, the
   * init op's signature), and predict answers TF Serving's text REST forms: instances of strings,
   * columns, the Classify API's examples -> results, and its error when the signature is no Classify one.
   */
  @Test
  void vocabularyAssetAndRestTextForms() throws Exception {
    List<String> labels = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
    Path v = export("lra_listops", labels);
    assertEquals(String.join("\n", io.longshort.data.ListOpsTokenizer.INSTANCE.vocabularyLines()) + "\n",
        Files.readString(v.resolve("assets").resolve(SavedModelWriter.VOCABULARY_ASSET)));
    try (SavedModelBundle b = SavedModelBundle.load(v.toString(), SavedModelWriter.TAG)) {
      MetaGraphDef meta = b.metaGraphDef();
      // predict_text's and classify's tables each read the file name from a tensor the loaders feed
      assertEquals(2, meta.getAssetFileDefCount());
      for (var a : meta.getAssetFileDefList()) {
        assertEquals(SavedModelWriter.VOCABULARY_ASSET, a.getFilename());
        assertTrue(meta.getGraphDef().getNodeList().stream()
            .anyMatch(n -> (n.getName() + ":0").equals(a.getTensorInfo().getName()) && n.getOp().equals("Const")),
            a.getTensorInfo().getName());
      }
      assertEquals(2, meta.getCollectionDefOrThrow(SavedModelWriter.ASSETS_COLLECTION).getAnyList().getValueCount());
      String init = meta.getSignatureDefOrThrow(SavedModelWriter.INIT_OP_SIGNATURE)
          .getOutputsOrThrow(SavedModelWriter.INIT_OP_SIGNATURE).getName();
      assertTrue(meta.getGraphDef().getNodeList().stream().anyMatch(n -> n.getName().equals(init) && n.getOp().equals("NoOp")));

      var sigs = meta.getSignatureDefMap();
      com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
      var rows = json.readTree(RestPredict.predict(b.session(), sigs,
          "{\"signature_name\": \"predict_text\", \"instances\": [\"[MAX 2 9 ]\", \"[MIN 4 [SM 1 2 ] ]\"]}"));
      var cols = json.readTree(RestPredict.predict(b.session(), sigs,
          "{\"signature_name\": \"predict_text\", \"inputs\": {\"text\": [\"[MAX 2 9 ]\", \"[MIN 4 [SM 1 2 ] ]\"]}}"));
      var results = json.readTree(RestPredict.predict(b.session(), sigs,
          "{\"signature_name\": \"classify\", \"examples\": [{\"text\": \"[MAX 2 9 ]\"}, {\"text\": \"[MIN 4 [SM 1 2 ] ]\"}]}"));
      for (int r = 0; r < 2; r++) {
        var row = rows.get("predictions").get(r);
        assertEquals(10, row.get("classes").size());
        assertEquals(0, row.get("truncated").asInt());
        assertTrue(labels.contains(row.get("classes").get(0).asText()), row.toString());
        assertEquals(row.get("classes"), cols.get("outputs").get("classes").get(r));
        // classify: [[label, score], ...] per example, the same pairs as predict_text's at the same batch
        var pairs = results.get("results").get(r);
        assertEquals(10, pairs.size());
        for (int c = 0; c < 10; c++) {
          assertEquals(row.get("classes").get(c).asText(), pairs.get(c).get(0).asText());
          assertEquals(row.get("scores").get(c).asDouble(), pairs.get(c).get(1).asDouble(), 0.0);
        }
      }
      RestPredict.BadRequest e = org.junit.jupiter.api.Assertions.assertThrows(RestPredict.BadRequest.class,
          () -> RestPredict.predict(b.session(), sigs, "{\"examples\": [{\"text\": \"[MAX 2 9 ]\"}]}"));
      assertTrue(e.getMessage().startsWith("Expected classification signature method_name to be "
          + "tensorflow/serving/classify. Was: tensorflow/serving/predict"), e.getMessage());
      e = org.junit.jupiter.api.Assertions.assertThrows(RestPredict.BadRequest.class,
          () -> RestPredict.predict(b.session(), sigs, "{\"signature_name\": \"predict_text\", \"instances\": [3]}"));
      assertTrue(e.getMessage().contains("input 'text': expected strings"), e.getMessage());
      // an unknown ListOps token: the graph refuses it (INVALID_ARGUMENT), naming the token
      e = org.junit.jupiter.api.Assertions.assertThrows(RestPredict.BadRequest.class,
          () -> RestPredict.predict(b.session(), sigs, "{\"signature_name\": \"predict_text\", \"instances\": [\"[MAX 2 x ]\"]}"));
      assertTrue(e.getMessage().contains("unknown ListOps token"), e.getMessage());
    }
  }

  /**
   * A byte LM: score_text's log-probs are log_softmax of serving_default's logits (for Java's ids)
   * at the next byte, bits their total in base 2, truncated what Java cut (generate_text against
   * generate: scripts/check_text_signatures_python.py).
   */
  @Test
  void languageModelScoresAndContinuesText() throws Exception {
    Path v = export("char_lm_small", null);
    byte[][] texts = {"hello".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff, 0, 'a'},
        "0123456789012345678901".getBytes(StandardCharsets.UTF_8)};
    int rows = texts.length;
    TextTokenizer tok = io.longshort.data.ByteTokenizer.LANGUAGE_MODEL;
    try (SavedModelBundle b = SavedModelBundle.load(v.toString(), SavedModelWriter.TAG)) {
      MetaGraphDef meta = b.metaGraphDef();
      SignatureDef score = meta.getSignatureDefOrThrow(TextSignatures.SCORE_TEXT);
      int[] ids = new int[rows * LENGTH];
      int[][] masks = new int[rows][];
      for (int r = 0; r < rows; r++) {
        TokenEncoding e = tok.encode(texts[r], LENGTH);
        System.arraycopy(e.ids(), 0, ids, r * LENGTH, LENGTH);
        masks[r] = e.mask();
      }
      double[] logits;
      try (Tensor t = HostTensors.ints(new long[] {rows, LENGTH}, ids)) {
        logits = (double[]) run(b.session(), Map.of(meta.getSignatureDefOrThrow("serving_default")
            .getInputsOrThrow("input_ids").getName(), t), List.of(meta.getSignatureDefOrThrow("serving_default")
            .getOutputsOrThrow("logits").getName())).get(0);
      }
      List<Object> got;
      try (Tensor t = TString.tensorOfBytes(NdArrays.vectorOfObjects(texts))) {
        got = run(b.session(), Map.of(score.getInputsOrThrow("text").getName(), t), List.of(
            score.getOutputsOrThrow("log_probs").getName(), score.getOutputsOrThrow("bits").getName(),
            score.getOutputsOrThrow("truncated").getName()));
      }
      double[] logProbs = (double[]) got.get(0);
      int v256 = 256;
      for (int r = 0; r < rows; r++) {
        double bits = 0;
        for (int t = 0; t < LENGTH - 1; t++) {
          double want = 0;
          if (masks[r][t + 1] == 1) {
            int at = (r * LENGTH + t) * v256;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v256; k++) {
              max = Math.max(max, logits[at + k]);
            }
            double sum = 0;
            for (int k = 0; k < v256; k++) {
              sum += Math.exp(logits[at + k] - max);
            }
            want = logits[at + ids[r * LENGTH + t + 1]] - max - Math.log(sum);
          }
          assertEquals(want, logProbs[r * (LENGTH - 1) + t], 1e-5, "row " + r + " byte " + (t + 1));
          bits -= want / Math.log(2);
        }
        assertEquals(bits, ((double[]) got.get(1))[r], 1e-4);
      }
      assertArrayEquals(new double[] {0, 0, texts[2].length - LENGTH}, (double[]) got.get(2), 0.0);
    }
  }

  /** The fetched values, copied before the result closes: double[] for numbers, String[] (UTF-8) for strings. */
  static List<Object> run(Session s, Map<String, Tensor> feeds, List<String> fetches) {
    Session.Runner r = s.runner();
    feeds.forEach(r::feed);
    fetches.forEach(r::fetch);
    List<Object> out = new ArrayList<>();
    try (var result = r.run()) {
      for (int i = 0; i < fetches.size(); i++) {
        Tensor t = result.get(i);
        out.add(t instanceof TString str ? str.asBytes().streamOfObjects()
            .map(x -> new String(x, StandardCharsets.UTF_8)).toArray(String[]::new)
            : t instanceof org.tensorflow.types.TInt32 ? java.util.Arrays.stream(HostTensors.toInts(t)).asDoubleStream().toArray()
            : HostTensors.toDoubles(t));
      }
    }
    return out;
  }
}
