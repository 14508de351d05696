package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
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
    CompiledPieces pieces = scope.compiledPieces();
    if (pieces != null && pieces.covers(x) && x.type() == TFloat32.class) {
      return compiled(pieces, x);
    }
    return affine(scope.tf(), x, weight, bias);
  }

  private Operand<T> affine(Ops tf, Operand<T> x, Operand<T> w, Operand<T> b) {
    // the bias by BiasAdd (last axis): its gradient is one BiasAddGrad instead of a Sum over rows
    return tf.nn.biasAdd(tf.math.mul(Precision.narrow(tf, normalise(tf, Precision.widen(tf, x)), x.type()), w), b);
  }

  /**
   * float32 x as one compiled piece, and its gradient as another: with x^ = (x - mean) r, r = 1 /
   * sqrt(var + eps) and g = dy * weight, dx = r (g - mean(g) - x^ mean(g x^)), dweight = sum(dy x^)
   * and dbias = sum(dy) over the rows. TensorFlow's own gradient of the plain ops takes about a dozen
   * passes over x (the means' Tile, the centring's Neg, the square's products).
   */
  @SuppressWarnings("unchecked")
  private Operand<T> compiled(CompiledPieces pieces, Operand<T> x) {
    int rank = x.shape().numDimensions();
    int[] rows = java.util.stream.IntStream.range(0, rank - 1).toArray();
    String name = (scope.name().isEmpty() ? "" : scope.name().replace('.', '_') + "_") + "layer_norm";
    return (Operand<T>) pieces.callWithGradient(scope, name, java.util.List.of(x, weight, bias),
        (s, a) -> java.util.List.of(affine(s.tf(), (Operand<T>) a.get(0), (Operand<T>) a.get(1), (Operand<T>) a.get(2))),
        (s, a) -> {
          Ops tf = s.tf();
          Operand<T> xs = (Operand<T>) a.get(0);
          Operand<T> dy = (Operand<T>) a.get(3);
          Operand<T> centred = tf.math.sub(xs, tf.math.mean(xs, tf.constant(-1), Mean.keepDims(true)));
          Operand<T> r = tf.math.rsqrt(tf.math.add(tf.math.mean(tf.math.square(centred), tf.constant(-1),
              Mean.keepDims(true)), tf.constant(xs.type(), epsilon)));
          Operand<T> normed = tf.math.mul(centred, r);
          Operand<T> g = tf.math.mul(dy, (Operand<T>) a.get(1));
          Operand<T> dx = tf.math.mul(r, tf.math.sub(tf.math.sub(g, tf.math.mean(g, tf.constant(-1), Mean.keepDims(true))),
              tf.math.mul(normed, tf.math.mean(tf.math.mul(g, normed), tf.constant(-1), Mean.keepDims(true)))));
          Operand<T> dw = tf.reduceSum(tf.math.mul(dy, normed), tf.constant(rows));
          Operand<T> db = tf.reduceSum(dy, tf.constant(rows));
          return java.util.List.of(dx, dw, db);
        }).expect(x.type());
  }

  private <W extends TFloating> Operand<W> normalise(Ops tf, Operand<W> x) {
    Operand<W> mean = tf.math.mean(x, tf.constant(-1), Mean.keepDims(true));
    Operand<W> centred = tf.math.sub(x, mean);
    Operand<W> variance = tf.math.mean(tf.math.square(centred), tf.constant(-1), Mean.keepDims(true));
    return tf.math.mul(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant(x.type(), epsilon))));
  }
}
