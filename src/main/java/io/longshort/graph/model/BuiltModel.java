package io.longshort.graph.model;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostArray;
import io.longshort.graph.core.Parameters;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * A model built into its own graph: what the training loop, the checkpoints and the exporters
 * need of it, whoever built it ({@link ModelGraph} for the token models, the vision classifier,
 * or a graph a user composes in Java, {@link ComposedModel}).
 *
 * <p>Inputs and outputs are named operands: placeholders carry their shape and dtype. A training
 * graph also has {@link #labels()}, the outputs {@code loss} (the mean loss of the batch),
 * {@code losses} and {@code hits} (one per row, so evaluation can leave padding rows out), and
 * optionally dropout fed per step ({@link #dropoutSeed()}, {@link #dropoutRate()}).
 */
public interface BuiltModel<T extends TFloating> extends AutoCloseable {
  /** A serving signature: its inputs and outputs by name (sorted by name in the SavedModel). */
  record Signature(Map<String, Operand<?>> inputs, Map<String, Operand<?>> outputs) {}

  Graph graph();

  /** The session, opened and initialised on first use. */
  Session session();

  Parameters<T> parameters();

  /** The model's inputs by name, in feeding order (placeholders: shape and dtype). */
  Map<String, ? extends Operand<?>> inputs();

  /** logits, and for training graphs loss, losses and hits. */
  Map<String, Operand<?>> outputs();

  /** Whether this graph has labels and a loss. */
  default boolean training() {
    return outputs().containsKey("loss");
  }

  /** The mean loss of a training graph (float32 at least); null for inference graphs. */
  default Operand<?> loss() {
    return outputs().get("loss");
  }

  /** Labels of a training graph, fed under this placeholder's op name ("labels", "targets"). */
  Operand<TInt32> labels();

  /** The (2) int64 dropout seed fed per step, or null when the model has no dropout. */
  default Operand<TInt64> dropoutSeed() {
    return null;
  }

  /** The float32 dropout rate fed per step, or null when the model has no dropout. */
  default Operand<TFloat32> dropoutRate() {
    return null;
  }

  /** The dropout rate the training loop feeds (the spec's). */
  default double trainingDropout() {
    return 0;
  }

  /**
   * The serving signatures by key (serving_default first); may add ops (softmax, argmax) to the
   * graph the first time.
   */
  Map<String, Signature> signatures();

  /**
   * Inputs of an example request of {@code batch} rows (the SavedModel's warm-up record and
   * example file), by input name. By default: standard normal floats and zero ints, every -1 of
   * an input's shape taken as the batch; models whose inputs mean more (token ids, masks) say so.
   */
  default Map<String, HostArray> exampleInputs(int batch, long seed) {
    return randomInputs(this, batch, seed);
  }

  /** Standard normal floats and zero ints for every input of {@code model}, -1 taken as {@code batch}. */
  static Map<String, HostArray> randomInputs(BuiltModel<?> model, int batch, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    Map<String, HostArray> out = new java.util.LinkedHashMap<>();
    for (var in : model.inputs().entrySet()) {
      long[] shape = in.getValue().shape().asArray();
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shape[i] < 0 ? batch : shape[i];
      }
      int n = Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b));
      if (in.getValue().type() == org.tensorflow.types.TInt32.class) {
        out.put(in.getKey(), HostArray.ints(shape, new int[n]));
      } else if (in.getValue().type() == TFloat32.class) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) rnd.nextGaussian();
        }
        out.put(in.getKey(), HostArray.floats(shape, v));
      } else {
        throw new UnsupportedOperationException("input '" + in.getKey() + "' is " + in.getValue().type().getSimpleName()
            + "; example inputs are made for int32 and float32 inputs only (override exampleInputs)");
      }
    }
    return out;
  }

  /** The model's spec as JSON for the files an export writes beside the SavedModel, or null. */
  default String specJson() {
    return null;
  }

  /**
   * The forward pass and mean loss built again in {@code scope} (a function body whose parameters
   * stand in for this graph's, {@link Parameters#forFunctionBody}), for steps compiled as one
   * function. {@code in} are stand-ins of {@link #inputs()} in order, then of the dropout seed and
   * rate when the model has them; {@code labels} of {@link #labels()}. The loss is float32 at
   * least, as {@link #loss()}.
   */
  default Operand<?> trainingLoss(GraphScope<T> scope, List<Operand<?>> in, Operand<TInt32> labels) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " cannot rebuild its loss in a function body (XLA-compiled or replicated steps)");
  }

  @Override
  void close();
}
