package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Pooled features to real values: (B, in) -> (B) for one output, (B, K) for K. The same layers as
 * {@link ClassificationHead} (optional hidden layer and activation, dropout, then a Linear) and the
 * same parameter names, with no softmax meant after it.
 */
public final class RegressionHead<T extends TFloating> {
  private final GraphScope<T> scope;
  private final int outputs;
  private final DenseHead<T> body;

  /** Dropout, then one Linear to {@code outputs} values. */
  public RegressionHead(GraphScope<T> scope, int in, int outputs, Dropout dropout) {
    this(scope, in, 0, null, outputs, dropout);
  }

  /**
   * @param hidden the hidden layer's width, 0 for none
   * @param activation the hidden layer's activation (needed when {@code hidden > 0})
   * @param outputs K; 1 gives one value per row, shape (B)
   * @param dropout applied to the hidden layer's output (or the input without one); {@link
   *     Dropout#none()} or null for none
   */
  public RegressionHead(GraphScope<T> scope, int in, int hidden, Activation activation, int outputs,
      Dropout dropout) {
    this.scope = scope;
    this.outputs = outputs;
    this.body = new DenseHead<>("RegressionHead", scope, in, hidden, activation, outputs, dropout);
  }

  /** x (B, in) -> (B) when there is one output, else (B, K). */
  public Operand<T> apply(Operand<T> x) {
    Operand<T> y = body.apply(x);
    // (B, 1) -> (B)
    return outputs == 1 ? Shapes.reshape(scope.tf(), y, -1) : y;
  }
}
