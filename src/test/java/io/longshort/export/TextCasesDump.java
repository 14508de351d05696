package io.longshort.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.TextTokenizer;
import io.longshort.data.TokenEncoding;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
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
 * "truncated": {"text": [...]}}} (retrieval: text_0 the cases, text_1 them reversed; a language
 * model's serving_default takes input_ids only, the mask says which bytes are text). Args:
 * savedmodel-dir out.json.
 */
public final class TextCasesDump {
  private TextCasesDump() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    ModelSpec spec;
    try (Safetensors example = Safetensors.open(dir.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE))) {
      spec = ModelSpec.parseJson(example.metadata().get("model"));
    }
    var meta = SavedModel.parseFrom(Files.readAllBytes(dir.resolve(SavedModelWriter.SAVED_MODEL_FILE))).getMetaGraphs(0);
    int n = (int) meta.getSignatureDefOrThrow("serving_default").getInputsOrThrow(
        spec.task() == Task.RETRIEVAL ? "input_ids_0" : "input_ids").getTensorShape().getDim(1).getSize();
    TextTokenizer tok = TextSignatures.tokenizer(spec);
    List<byte[]> cases = new ArrayList<>(tok instanceof ListOpsTokenizer ? TextSignaturesExportTest.LISTOPS_CASES
        : TextSignaturesExportTest.BYTE_CASES);
    // one longer than N, whatever N is
    cases.add((tok instanceof ListOpsTokenizer ? "[MAX 1 2 ] ".repeat(n) : "0123456789".repeat(n / 10 + 1)).getBytes());
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode().put("task", spec.task().jsonName()).put("n", n);
    ObjectNode texts = root.putObject("texts");
    ObjectNode ids = root.putObject("ids");
    ObjectNode truncated = root.putObject("truncated");
    for (String suffix : spec.task() == Task.RETRIEVAL ? List.of("_0", "_1") : List.of("")) {
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
