package io.longshort.graph.core;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;

/**
 * The one gradient set-up of every training step (plain, compiled, replicated): the gradients of
 * a loss with respect to each parameter's variable read, from TF's C++ registry
 * ({@code Graph.addGradients}). Under mixed precision the read is the float32 master weight, so the
 * gradient reaches the optimizer in float32 through the gradient of the cast to the compute dtype.
 */
public final class Gradients {
  private Gradients() {}

  /**
   * @param graph the graph holding {@code loss} (the model's, or a function body's)
   * @param params the parameters as variables ({@link Parameter#asVariable}), in order
   */
  public static <V extends TFloating> List<Operand<V>> of(Graph graph, Operand<?> loss, List<Parameter<V>> params,
      Class<V> variableDtype) {
    Output<?>[] grads = graph.addGradients(loss.asOutput(),
        params.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
    List<Operand<V>> out = new ArrayList<>();
    for (int i = 0; i < grads.length; i++) {
      if (grads[i] == null) {
        throw new IllegalStateException("the loss does not depend on parameter '" + params.get(i).name() + "'");
      }
      if (grads[i].type() != variableDtype) {
        throw new IllegalStateException("the gradient of '" + params.get(i).name() + "' is "
            + grads[i].type().getSimpleName() + ", its variable " + variableDtype.getSimpleName());
      }
      out.add(grads[i].expect(variableDtype));
    }
    return out;
  }

  /** Every parameter of {@code params} as the variable it is stored in. */
  public static <V extends TFloating> List<Parameter<V>> asVariables(
      List<? extends Parameter<?>> params, Class<V> variableDtype) {
    return params.stream().map(p -> p.asVariable(variableDtype)).toList();
  }
}
