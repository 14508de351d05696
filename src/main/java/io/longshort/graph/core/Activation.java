package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/** The element-wise activations a head's hidden layer can use. */
public enum Activation {
  RELU,
  /** The exact GELU, x Phi(x) (compiled as one piece where the scope's pieces cover x). */
  GELU,
  TANH;

  /** x -> same shape. */
  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, Operand<T> x) {
    return switch (this) {
      case RELU -> s.tf().nn.relu(x);
      case GELU -> PreLnBlock.gelu(s, x);
      case TANH -> s.tf().math.tanh(x);
    };
  }
}
