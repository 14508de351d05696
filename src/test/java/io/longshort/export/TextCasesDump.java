package io.longshort.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.TextTokenizer;
import io.longshort.data.TokenEncoding;
import io.longshort.graph.model.TransformerLsServingModel;
import io.longshort.graph.text.Tokenizers;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.tensorflow.proto.SavedModel;

/**
 * For scripts/check_text_signatures_python.py: the edge-case texts of a SavedModel's family and
 * Java's encoding of them ({@link TextTokenizer#encode}, the model's length N), as JSON:
 * {@code {"task", "n", "texts": {"text": [b64, ...]}, "ids": {"input_ids": [[...]], "mask": [[...]]},
 * "truncated": {"text": [...]}, "rows": B or -1, "scoring": {"signature", "input", "output", "logits"}}}
 * (retrieval: text_0 the cases, text_1 them reversed; a language model's serving_default takes
 * input_ids only, the mask says which bytes are text; the authors' LM is scored by {@code score},
 * per-token log-probs, and takes B rows per request, its static batch). Args:
 * savedmodel-dir out.json.
 */
public final class TextCasesDump {
  private TextCasesDump() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String modelJson;
    try (Safetensors example = Safetensors.open(dir.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE))) {
      modelJson = example.metadata().get("model");
    }
    var meta = SavedModel.parseFrom(Files.readAllBytes(dir.resolve(SavedModelWriter.SAVED_MODEL_FILE))).getMetaGraphs(0);
    // the authors' LM (a score signature, no serving_default): its text is its bytes, rows its static batch
    boolean authorsLm = !meta.containsSignatureDef("serving_default")
        && meta.containsSignatureDef(TransformerLsServingModel.SCORE);
    Task task;
    TextTokenizer tok;
    org.tensorflow.proto.TensorShapeProto shape;
    if (authorsLm) {
      if (Files.exists(dir.resolve("assets").resolve(SavedModelWriter.VOCABULARY_ASSET))) {
        throw new IllegalArgumentException(dir + ": the authors' LM reads its text through a fairseq dictionary; this"
            + " dump encodes the bytes of train-lm exports only (TransformerLsTextSignaturesTest checks dictionaries)");
      }
      task = Task.LANGUAGE_MODEL;
      tok = Tokenizers.of(TransformerLsSpec.parseJson(modelJson));
      shape = meta.getSignatureDefOrThrow(TransformerLsServingModel.SCORE).getInputsOrThrow("tokens").getTensorShape();
    } else {
      ModelSpec spec = ModelSpec.parseJson(modelJson);
      task = spec.task();
      tok = TextSignatures.tokenizer(spec);
      shape = meta.getSignatureDefOrThrow("serving_default").getInputsOrThrow(
          task == Task.RETRIEVAL ? "input_ids_0" : "input_ids").getTensorShape();
    }
    int n = (int) shape.getDim(1).getSize();
    List<byte[]> cases = new ArrayList<>(tok instanceof ListOpsTokenizer ? TextSignaturesExportTest.LISTOPS_CASES
        : TextSignaturesExportTest.BYTE_CASES);
    // one longer than N, whatever N is
    cases.add((tok instanceof ListOpsTokenizer ? "[MAX 1 2 ] ".repeat(n) : "0123456789".repeat(n / 10 + 1)).getBytes());
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode().put("task", task.jsonName()).put("n", n)
        .put("rows", shape.getDim(0).getSize());
    ObjectNode scoring = root.putObject("scoring");
    if (authorsLm) {
      scoring.put("signature", TransformerLsServingModel.SCORE).put("input", "tokens").put("output", "logprobs")
          .put("logits", false);
    } else {
      scoring.put("signature", "serving_default").put("input", "input_ids").put("output", "logits").put("logits", true);
    }
    ObjectNode texts = root.putObject("texts");
    ObjectNode ids = root.putObject("ids");
    ObjectNode truncated = root.putObject("truncated");
    for (String suffix : task == Task.RETRIEVAL ? List.of("_0", "_1") : List.of("")) {
      ArrayNode t = texts.putArray("text" + suffix);
      ArrayNode i = ids.putArray("input_ids" + suffix);
      ArrayNode m = ids.putArray("mask" + suffix);
      ArrayNode c = truncated.putArray("text" + suffix);
      for (int r = 0; r < cases.size(); r++) {
        byte[] text = cases.get(suffix.equals("_1") ? cases.size() - 1 - r : r);
        TokenEncoding e = tok.encode(text, n);
        t.add(Base64.getEncoder().encodeToString(text));
        ArrayNode ir = i.addArray();
        ArrayNode mr = m.addArray();
        for (int k = 0; k < n; k++) {
          ir.add(e.ids()[k]);
          mr.add(e.mask()[k]);
        }
        c.add(e.truncated());
      }
    }
    Files.writeString(Path.of(args[1]), json.writeValueAsString(root));
  }
}
