package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.family.TFloating;

/** LayerNorm over the last axis with PyTorch's parameters ({@code weight}, {@code bias}) and biased variance. */
public final class LayerNorm<T extends TFloating> {
  private final GraphScope<T> scope;
  private final double epsilon;
  private final Operand<T> weight;
  private final Operand<T> bias;

  private LayerNorm(GraphScope<T> scope, int width, double epsilon, Initializer weightInit) {
    this.scope = scope;
    this.epsilon = epsilon;
    this.weight = scope.parameter("weight", new long[] {width}, weightInit);
    this.bias = scope.parameter("bias", new long[] {width}, Initializer.zeros());
  }

  public static <T extends TFloating> LayerNorm<T> create(GraphScope<T> scope, int width, double epsilon) {
    return new LayerNorm<>(scope, width, epsilon, Initializer.ones());
  }

  /** A LayerNorm whose weight starts from {@code weightInit} (e.g. Transformer-XL's N(1, 0.02^2)). */
  public static <T extends TFloating> LayerNorm<T> create(GraphScope<T> scope, int width, double epsilon,
      Initializer weightInit) {
    return new LayerNorm<>(scope, width, epsilon, weightInit);
  }

  /**
   * x (..., width) -> same shape. In bfloat16/float16 graphs the statistics and the normalisation
   * run in float32 (a mean over D values and the variance's cancellation lose most of an 8-bit
   * mantissa), then the result is cast back and the affine part runs in the graph's dtype.
   */
  public Operand<T> apply(Operand<T> x) {
    Ops tf = scope.tf();
    // the bias by BiasAdd (last axis): its gradient is one BiasAddGrad instead of a Sum over rows
    return tf.nn.biasAdd(tf.math.mul(Precision.narrow(tf, normalise(tf, Precision.widen(tf, x)), x.type()), weight),
        bias);
  }

  private <W extends TFloating> Operand<W> normalise(Ops tf, Operand<W> x) {
    Operand<W> mean = tf.math.mean(x, tf.constant(-1), Mean.keepDims(true));
    Operand<W> centred = tf.math.sub(x, mean);
    Operand<W> variance = tf.math.mean(tf.math.square(centred), tf.constant(-1), Mean.keepDims(true));
    return tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant(x.type(), epsilon))));
  }
}
