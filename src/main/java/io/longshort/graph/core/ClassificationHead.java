package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Pooled features to class logits, (B, in) -> (B, classes): an optional hidden layer with its
 * activation, dropout, then the logits layer. Parameters: with a hidden layer {@code <scope>.0.*}
 * and {@code <scope>.2.*} (the authors' SCHead, {@code nn.Sequential(Linear, ReLU, Linear)} in
 * PyTorch), without one {@code <scope>.weight} and {@code <scope>.bias}.
 */
public final class ClassificationHead<T extends TFloating> {
  private final DenseHead<T> body;

  /** Dropout, then one Linear to the logits. {@code dropout} may be {@link Dropout#none()} (or null). */
  public ClassificationHead(GraphScope<T> scope, int in, int classes, Dropout dropout) {
    this(scope, in, 0, null, classes, dropout);
  }

  /**
   * @param hidden the hidden layer's width, 0 for none
   * @param activation the hidden layer's activation (needed when {@code hidden > 0})
   * @param dropout applied to the hidden layer's output (or the input without one); {@link
   *     Dropout#none()} or null for none
   */
  public ClassificationHead(GraphScope<T> scope, int in, int hidden, Activation activation, int classes,
      Dropout dropout) {
    this.body = new DenseHead<>("ClassificationHead", scope, in, hidden, activation, classes, dropout);
  }

  /** x (B, in) -> logits (B, classes). */
  public Operand<T> apply(Operand<T> x) {
    return body.apply(x);
  }
}
