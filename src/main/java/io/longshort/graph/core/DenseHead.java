package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * The body both heads share: (B, in) -> [Linear "0" -> activation] -> dropout -> Linear -> (B, out).
 * With a hidden layer its parameters are named as the authors' SCHead (PyTorch's
 * {@code nn.Sequential(Linear, ReLU, Linear)}): {@code <scope>.0.*} and {@code <scope>.2.*};
 * without one, the output layer's {@code <scope>.weight} and {@code <scope>.bias}.
 */
final class DenseHead<T extends TFloating> {
  private final GraphScope<T> scope;
  private final Linear<T> hidden;
  private final Activation activation;
  private final Dropout dropout;
  private final Linear<T> output;

  DenseHead(String layer, GraphScope<T> scope, int in, int hiddenWidth, Activation activation, int out,
      Dropout dropout) {
    positive(layer, "in", in);
    positive(layer, "out", out);
    if (hiddenWidth < 0) {
      throw new IllegalArgumentException(layer + " '" + scope.name() + "': hidden width " + hiddenWidth
          + " is negative; use 0 for no hidden layer or a positive width");
    }
    if (hiddenWidth > 0 && activation == null) {
      throw new IllegalArgumentException(layer + " '" + scope.name() + "': a hidden layer of " + hiddenWidth
          + " needs an activation (one of RELU, GELU, TANH)");
    }
    this.scope = scope;
    this.activation = activation;
    this.dropout = dropout == null ? Dropout.none() : dropout;
    this.hidden = hiddenWidth > 0 ? Linear.create(scope.child("0"), in, hiddenWidth) : null;
    this.output = hiddenWidth > 0 ? Linear.create(scope.child("2"), hiddenWidth, out) : Linear.create(scope, in, out);
  }

  private void positive(String layer, String what, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(layer + ": " + what + " must be positive, got " + v);
    }
  }

  /** (B, in) -> (B, out). */
  Operand<T> apply(Operand<T> x) {
    Operand<T> h = hidden == null ? x : activation.apply(scope, hidden.apply(x));
    return output.apply(dropout.apply(scope, h));
  }
}
