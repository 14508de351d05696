package io.longshort.export;

import io.longshort.graph.core.Parameters;
import io.longshort.graph.decode.GenerateChecks;
import io.longshort.graph.decode.Generation;
import io.longshort.graph.decode.StreamScoring;
import io.longshort.graph.decode.TransformerLsGeneration;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A SavedModel of the authors' LM for TF Serving with two signatures: {@code score}
 * ({@link StreamScoring}): {@code tokens} (B, C) int32 in, {@code logprobs} (B, C) float32 out,
 * log p(token i | the tokens before it), the blocks and the cache streamed inside the graph; and
 * {@code generate} ({@link TransformerLsGeneration}, the inputs and outputs of our other LMs'
 * generate signature: prompt_ids, prompt_lengths, max_new_tokens, temperature, top_k, seed in;
 * new_tokens, tokens, lengths out). Written into a temporary folder and renamed, so the export is
 * whole or absent.
 */
public final class TransformerLsServingExport {
  public static final String KEY = "score";
  public static final String GENERATE = "generate";

  private TransformerLsServingExport() {}

  /**
   * @param weights the model's state_dict (authors' names)
   * @param capacity C, tokens per request row (score: a multiple of {@code block}; generate: prompt
   *     and continuation)
   */
  public static void write(TransformerLsSpec spec, Safetensors weights, int batch, int capacity, int block, Path dir)
      throws IOException {
    if (Files.exists(dir)) {
      throw new IOException(dir + " exists: a SavedModel goes into a new folder");
    }
    Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
    if (Files.exists(tmp)) {
      throw new IOException(tmp + " exists (a previous export was interrupted): remove it");
    }
    try (Graph g = new Graph()) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
      Ops tf = Ops.create(g);
      Placeholder<TInt32> tokens = tf.withName("tokens").placeholder(TInt32.class,
          Placeholder.shape(Shape.of(batch, capacity)));
      Operand<TFloat32> logprobs = tf.withName("logprobs").identity(
          StreamScoring.build(tf, params, spec, block, tokens));
      Generation.Inputs gen = new Generation.Inputs(
          tf.withName("prompt_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch, -1))),
          tf.withName("prompt_lengths").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("max_new_tokens").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("temperature").placeholder(TFloat32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("top_k").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch))),
          tf.withName("seed").placeholder(org.tensorflow.types.TInt64.class, Placeholder.shape(Shape.of(batch))));
      Generation.Inputs checked = GenerateChecks.checked(tf, gen, spec.vocabSize(), capacity, capacity);
      Generation.Outputs generated = TransformerLsGeneration.build(tf, params, spec, batch, block, capacity, checked);
      try (Session session = new Session(g)) {
        session.initialize();
        WeightLoader.load(session, params, weights);
        Map<String, Map<String, Operand<?>>> in = new LinkedHashMap<>();
        in.put(KEY, new LinkedHashMap<>(Map.of("tokens", tokens)));
        in.put(GENERATE, new LinkedHashMap<>(new java.util.TreeMap<>(Map.of("prompt_ids", gen.promptIds(),
            "prompt_lengths", gen.promptLengths(), "max_new_tokens", gen.maxNewTokens(), "temperature",
            gen.temperature(), "top_k", gen.topK(), "seed", gen.seed()))));
        Map<String, Map<String, Operand<?>>> out = new LinkedHashMap<>();
        out.put(KEY, new LinkedHashMap<>(Map.of("logprobs", logprobs)));
        out.put(GENERATE, new LinkedHashMap<>(new java.util.TreeMap<>(Map.of("new_tokens", generated.newTokens(),
            "tokens", generated.tokens(), "lengths", generated.lengths()))));
        SavedModelWriter.write(g, session, params, in, out, tmp, ExportOptions.PLAIN);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      if (Files.exists(tmp)) {
        try (var files = Files.walk(tmp)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      throw e;
    }
  }
}
