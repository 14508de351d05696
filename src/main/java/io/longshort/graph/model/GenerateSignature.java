package io.longshort.graph.model;

import io.longshort.graph.decode.GenerateChecks;
import io.longshort.graph.decode.Generation;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.ModelSpec;
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
 * (&lt;= 0: greedy), {@code seed} int64. Every input and output has the batch first, as TF
 * Serving's request batching needs. Outputs: {@code new_tokens} (B, M), M the largest max new
 * tokens (-1 past a row's own), {@code tokens} (B, C) and {@code lengths} (B), C = the model's
 * maxLength. The inputs are checked in the graph first ({@link GenerateChecks}): TF Serving
 * answers a bad request with INVALID_ARGUMENT naming the input.
 *
 * <p>For {@code export --xla} a second loop over the same inputs calls its step as a must-compile
 * function ({@link #build}): the step has static shapes apart from the batch,
 * while the loop's trip count and the width of {@code new_tokens} follow each request's max new
 * tokens, which XLA cannot size at compile time, so the loop itself stays TensorFlow's.
 */
public final class GenerateSignature {
  public static final String KEY = "generate";

  private GenerateSignature() {}

  /** The name scope of the loop whose step XLA compiles; it shares the plain loop's inputs. */
  public static final String COMPILED_SCOPE = "generate_xla";

  /**
   * The signature's inputs and outputs (sorted by name), adding the loop to the graph once. With
   * {@code compileStep} (null for none), the outputs are those of a second loop over the same
   * inputs whose step is a function it builds ({@link Generation#build(Ops,
   * io.longshort.graph.core.Parameters, io.longshort.spec.ModelSpec, int, Generation.Inputs,
   * io.longshort.graph.core.CompiledCalls)}), under {@link #COMPILED_SCOPE}.
   */
  static synchronized <T extends TFloating> ServableModel.Signature build(Parameters<T> params, ModelSpec spec,
      int maxNewTokensCap, io.longshort.graph.core.CompiledCalls compileStep) {
    Graph g = params.graph();
    if (g.operation("new_tokens") == null) {
      Ops tf = Ops.create(g);
      Generation.build(tf, params, spec, spec.maxLength(),
          GenerateChecks.checked(tf, inputs(tf), spec.vocabSize(), spec.maxLength(), maxNewTokensCap));
    }
    String prefix = compileStep != null ? COMPILED_SCOPE + "/" : "";
    if (compileStep != null && g.operation(prefix + "new_tokens") == null) {
      Generation.build(Ops.create(g).withSubScope(COMPILED_SCOPE), params, spec, spec.maxLength(),
          existingInputs(g), compileStep);
    }
    Map<String, Operand<?>> inputs = new TreeMap<>();
    for (String name : INPUTS) {
      inputs.put(name, g.operation(name).output(0));
    }
    Map<String, Operand<?>> outputs = new TreeMap<>();
    for (String name : new String[] {"new_tokens", "tokens", "lengths"}) {
      outputs.put(name, g.operation(prefix + name).output(0));
    }
    return new ServableModel.Signature(new LinkedHashMap<>(inputs), new LinkedHashMap<>(outputs));
  }

  private static final String[] INPUTS = {"prompt_ids", "prompt_lengths", "max_new_tokens", "temperature", "top_k",
      "seed"};

  private static Generation.Inputs inputs(Ops tf) {
    return new Generation.Inputs(
        tf.withName("prompt_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1))),
        tf.withName("prompt_lengths").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
        tf.withName("max_new_tokens").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
        tf.withName("temperature").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1))),
        tf.withName("top_k").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1))),
        tf.withName("seed").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1))));
  }

  /** The plain loop's inputs once checked ({@link GenerateChecks}): the compiled loop shares them. */
  private static Generation.Inputs existingInputs(Graph g) {
    String at = GenerateChecks.SCOPE + "/";
    return new Generation.Inputs(g.operation(at + "prompt_ids").output(0), g.operation(at + "prompt_lengths").output(0),
        g.operation(at + "max_new_tokens").output(0), g.operation(at + "temperature").output(0),
        g.operation(at + "top_k").output(0), g.operation(at + "seed").output(0));
  }
}
