package io.longshort.export;

import io.longshort.graph.model.GenerateSignature;

import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.nio.file.Path;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Run in a fresh JVM by {@link GenerateExportTest}: loads a SavedModel with SavedModelBundle and
 * runs its generate signature, greedy, on the example prompts of assets.extra/example.safetensors
 * ({@code generate.input.*}); writes {@code new_tokens}. Args: savedmodel-dir out.safetensors.
 */
public final class GenerateReplay {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    try (SavedModelBundle b = SavedModelBundle.load(dir.toString(), SavedModelWriter.TAG);
        Safetensors ex = Safetensors.open(dir.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE));
        Tensor prompt = HostTensors.ints(ex.info("generate.input.prompt_ids").shape(),
            ex.readInts("generate.input.prompt_ids"));
        Tensor lengths = HostTensors.ints(ex.info("generate.input.prompt_lengths").shape(),
            ex.readInts("generate.input.prompt_lengths"));
        Tensor maxNew = HostTensors.ints(ex.info("generate.input.max_new_tokens").shape(),
            ex.readInts("generate.input.max_new_tokens"));
        Tensor temperature = TFloat32.vectorOf(0f, 0f);
        Tensor topK = TInt32.vectorOf(0, 0);
        Tensor seed = TInt64.vectorOf(0L, 0L)) {
      SignatureDef sig = b.metaGraphDef().getSignatureDefMap().get(GenerateSignature.KEY);
      try (var r = b.session().runner()
          .feed(sig.getInputsMap().get("prompt_ids").getName(), prompt)
          .feed(sig.getInputsMap().get("prompt_lengths").getName(), lengths)
          .feed(sig.getInputsMap().get("max_new_tokens").getName(), maxNew)
          .feed(sig.getInputsMap().get("temperature").getName(), temperature)
          .feed(sig.getInputsMap().get("top_k").getName(), topK)
          .feed(sig.getInputsMap().get("seed").getName(), seed)
          .fetch(sig.getOutputsMap().get("new_tokens").getName()).run()) {
        new SafetensorsWriter().putInts("new_tokens", r.get(0).shape().asArray(), HostTensors.toInts(r.get(0)))
            .write(Path.of(args[1]));
      }
    }
  }
}
