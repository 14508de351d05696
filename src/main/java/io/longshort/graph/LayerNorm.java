package io.longshort.graph;

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

  private LayerNorm(GraphScope<T> scope, int width, double epsilon) {
    this.scope = scope;
    this.epsilon = epsilon;
    this.weight = scope.parameter("weight", new long[] {width}, Initializer.ones());
    this.bias = scope.parameter("bias", new long[] {width}, Initializer.zeros());
  }

  public static <T extends TFloating> LayerNorm<T> create(GraphScope<T> scope, int width, double epsilon) {
    return new LayerNorm<>(scope, width, epsilon);
  }

  /** x (..., width) -> same shape. */
  public Operand<T> apply(Operand<T> x) {
    Ops tf = scope.tf();
    Operand<T> mean = tf.math.mean(x, tf.constant(-1), Mean.keepDims(true));
    Operand<T> centred = tf.math.sub(x, mean);
    Operand<T> variance = tf.math.mean(tf.math.square(centred), tf.constant(-1), Mean.keepDims(true));
    Operand<T> normalised = tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, scope.scalar(epsilon))));
    return tf.math.add(tf.math.mul(normalised, weight), bias);
  }
}
