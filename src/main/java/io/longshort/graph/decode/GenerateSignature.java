package io.longshort.graph.decode;

import io.longshort.graph.model.BuiltModel;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.Task;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The {@code generate} signature of a language model: the whole decode loop ({@link Generation})
 * in the model's graph, so one Predict request generates a continuation. Inputs:
 * {@code prompt_ids} (B, P) int32 (rows left-aligned, padded with anything), and per row (B):
 * {@code prompt_lengths}, {@code max_new_tokens}, {@code top_k} int32, {@code temperature} float32
 * (<= 0: greedy), {@code seed} int64. Every input and output has the batch first, as TF
 * Serving's request batching needs. Outputs: {@code new_tokens} (B, M), M the largest max new
 * tokens (-1 past a row's own), {@code tokens} (B, C) and {@code lengths} (B), C = the model's
 * maxLength.
 */
public final class GenerateSignature {
  public static final String KEY = "generate";

  private GenerateSignature() {}

  /** Whether {@code model} gets a generate signature: language models. */
  public static boolean applies(ModelGraph<?> model) {
    return model.spec().task() == Task.LANGUAGE_MODEL;
  }

  /** The signature's inputs and outputs (sorted by name), adding the loop to the graph once. */
  public static synchronized <T extends TFloating> BuiltModel.Signature build(ModelGraph<T> model) {
    Graph g = model.graph();
    if (g.operation("new_tokens") == null) {
      Ops tf = Ops.create(g);
      Generation.Inputs in = new Generation.Inputs(
          tf.withName("prompt_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1))),
          tf.withName("prompt_lengths").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
          tf.withName("max_new_tokens").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
          tf.withName("temperature").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1))),
          tf.withName("top_k").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
          tf.withName("seed").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1))));
      Generation.build(tf, model.parameters(), model.spec(), model.spec().maxLength(), in);
    }
    Map<String, Operand<?>> inputs = new TreeMap<>();
    for (String name : new String[] {"prompt_ids", "prompt_lengths", "max_new_tokens", "temperature", "top_k",
        "seed"}) {
      inputs.put(name, g.operation(name).output(0));
    }
    Map<String, Operand<?>> outputs = new TreeMap<>();
    for (String name : new String[] {"new_tokens", "tokens", "lengths"}) {
      outputs.put(name, g.operation(name).output(0));
    }
    return new BuiltModel.Signature(new LinkedHashMap<>(inputs), new LinkedHashMap<>(outputs));
  }
}
