package io.longshort.graph.model;

import io.longshort.graph.core.Parameters;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.types.family.TFloating;

/**
 * What every built model has, whichever family built it ({@link ModelGraph} for the token
 * models, the vision classifier, a graph a user composes in Java ({@link ComposedModel}), the
 * authors' LM ({@link TransformerLsLm})): its own graph, one session lifecycle, its parameters and
 * named inputs and outputs. What a model can do beyond that is a capability of its own:
 * {@link TrainableModel} (labels and a loss), {@link ServableModel} (serving signatures),
 * {@link DecodingModel} (a cache carried from block to block), {@link GeneratingModel} (a generate
 * signature); the training loop, evaluators and exporters take the capability they need.
 *
 * <p>Inputs and outputs are named operands: placeholders carry their shape and dtype.
 */
public interface BuiltModel<T extends TFloating> extends AutoCloseable {
  Graph graph();

  /** The session, opened and initialised on first use. */
  Session session();

  Parameters<T> parameters();

  /** The model's inputs by name, in feeding order (placeholders: shape and dtype). */
  Map<String, ? extends Operand<?>> inputs();

  /** logits (or log-probs), and for training graphs loss, losses and hits. */
  Map<String, Operand<?>> outputs();

  @Override
  void close();
}
