package io.longshort.graph.model;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameters;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * A built model the training loop can train: a training graph has {@link #labels()}, the outputs
 * {@code loss} (the mean loss of the batch), {@code losses} and {@code hits} (one per row, so
 * evaluation can leave padding rows out), and optionally dropout fed per step
 * ({@link #dropoutSeed()}, {@link #dropoutRate()}).
 */
public interface TrainableModel<T extends TFloating> extends BuiltModel<T> {
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
}
