package io.longshort.graph.core;

import java.util.List;
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
    return apply(x, false);
  }

  /**
   * {@link #apply(Operand)} of an x that has other uses too (a pre-norm block's residual). The
   * plain ops take x twice (the mean and the centring), so x goes in through {@link FanOut}: x's
   * gradient is then a sum of two terms, whose order is fixed, where three would not be (TF's CPU
   * AddN of three or more adds in an order that depends on thread timing). A compiled piece takes x
   * once, and a widened (half-precision) x is a cast of its own: neither needs it.
   */
  public Operand<T> applyShared(Operand<T> x) {
    return apply(x, true);
  }

  private Operand<T> apply(Operand<T> x, boolean shared) {
    CompiledPieces pieces = scope.compiledPieces();
    if (pieces != null && pieces.covers(x) && x.type() == TFloat32.class) {
      return compiled(pieces, x);
    }
    return affine(scope.tf(), x, weight, bias, shared);
  }

  private Operand<T> affine(Ops tf, Operand<T> x, Operand<T> w, Operand<T> b, boolean shared) {
    Operand<TFloating> wide = Precision.widen(tf, x);
    // the bias by BiasAdd (last axis): its gradient is one BiasAddGrad instead of a Sum over rows
    return tf.nn.biasAdd(tf.math.mul(Precision.narrow(tf, normalise(tf, wide, shared && wide == x), x.type()), w), b);
  }

  /**
   * float32 x as one compiled piece, and its gradient as another: with x^ = (x - mean) r, r = 1 /
   * sqrt(var + eps) and g = dy * weight, dx = r (g - mean(g) - x^ mean(g x^)), dweight = sum(dy x^)
   * and dbias = sum(dy) over the rows. TensorFlow's own gradient of the plain ops takes about a dozen
   * passes over x (the means' Tile, the centring's Neg, the square's products).
   */
  @SuppressWarnings("unchecked")
  private Operand<T> compiled(CompiledPieces pieces, Operand<T> x) {
    long width = x.shape().get(x.shape().numDimensions() - 1);
    // the call sits in this layer's name scope; XLA's function names get a hash of their own
    return (Operand<T>) pieces.callWithGradient(scope, "layer_norm", java.util.List.of(x, weight, bias),
        (s, a) -> java.util.List.of(affine(s.tf(), (Operand<T>) a.get(0), (Operand<T>) a.get(1), (Operand<T>) a.get(2),
            false)),
        (s, a) -> {
          Ops tf = s.tf();
          Operand<T> xs = (Operand<T>) a.get(0);
          Operand<T> dy = (Operand<T>) a.get(3);
          Moments<T> m = moments(tf, xs);
          Operand<T> normed = tf.math.mul(m.centred(), m.r());
          Operand<T> g = tf.math.mul(dy, (Operand<T>) a.get(1));
          Operand<T> gMean = rowMean(tf, g);
          Operand<T> dx = tf.math.mul(m.r(), tf.math.sub(tf.math.sub(g, gMean),
              tf.math.mul(normed, rowMean(tf, tf.math.mul(g, normed)))));
          Operand<T> ones = Shapes.reshape(tf, tf.onesLike(gMean), 1, -1);
          Operand<T> dw = columnSums(tf, ones, tf.math.mul(dy, normed), width);
          Operand<T> db = columnSums(tf, ones, dy, width);
          return java.util.List.of(dx, dw, db);
        }).expect(x.type());
  }

  /** The normalisation; {@code fanOut}: x reaches the mean and the centring through {@link FanOut}. */
  private <W extends TFloating> Operand<W> normalise(Ops tf, Operand<W> x, boolean fanOut) {
    List<Operand<W>> xs = fanOut ? FanOut.uses(tf, x, 2) : List.of(x, x);
    Moments<W> m = moments(tf, xs.get(0), xs.get(1));
    return tf.math.mul(m.centred(), m.r());
  }

  /** x - mean and r = 1 / sqrt(var + eps), both over the last axis (r: (..., 1)). */
  private record Moments<W extends TFloating>(Operand<W> centred, Operand<W> r) {}

  private <W extends TFloating> Moments<W> moments(Ops tf, Operand<W> x) {
    return moments(tf, x, x);
  }

  /** {@link #moments(Ops, Operand)} of x given twice: centred as {@code x} minus the mean of {@code sameX}. */
  private <W extends TFloating> Moments<W> moments(Ops tf, Operand<W> x, Operand<W> sameX) {
    Operand<W> centred = tf.math.sub(x, rowMean(tf, sameX));
    Operand<W> variance = rowMean(tf, tf.math.square(centred));
    return new Moments<>(centred, tf.math.rsqrt(tf.math.add(variance, tf.constant(x.type(), epsilon))));
  }

  /** From this many rows on, {@link #columnSums} is a product with ones, below it a reduce. */
  private static final long COLUMN_SUMS_BY_PRODUCT_FROM_ROWS = 4096;

  /** From this many elements of v on, {@link #columnSums} is a reduce again (memory; see there). */
  private static final long COLUMN_SUMS_BY_REDUCE_FROM_ELEMENTS = 1L << 24;

  /**
   * (width): the sum of v's rows, v (..., width), in a compiled piece. From 4096 rows on as ones (1,
   * rows) x v (rows, width): there XLA's CPU reduce over the major axes took 1.5-3x the time of that
   * product (32 x 2048 x 64, the ListOps step's; 1 x 4096 x 256; 1 x 8192 x 512); at 2048 rows and
   * fewer the product was the slower one (1 x 2048 x 512, 1 x 1024 x 1024). Measured with
   * bench/peers/tiles/LayerNormGrad.java; bench/peers/README.md has the table. From 2^24 elements on
   * (a 64 MiB float32 v) the reduce again: XLA materialises the product's operand (dy x^, which the
   * reduce fuses), and the lra_text step at N 262144 batch 1 peaked 226 MiB higher with the product
   * (VmHWM 2681 against 2455 MiB, bench/recompute/README.md), about 0.9 KiB per token at long N, where
   * these sums are a small part of the step's time.
   */
  private static <W extends TFloating> Operand<W> columnSums(Ops tf, Operand<W> ones, Operand<W> v, long width) {
    long elements = v.shape().size();
    if (elements / width < COLUMN_SUMS_BY_PRODUCT_FROM_ROWS || elements >= COLUMN_SUMS_BY_REDUCE_FROM_ELEMENTS) {
      int[] rows = java.util.stream.IntStream.range(0, v.shape().numDimensions() - 1).toArray();
      return tf.reduceSum(v, tf.constant(rows));
    }
    // (1, rows) x (rows, width) -> (width)
    return Shapes.reshape(tf, tf.linalg.matMul(ones, Shapes.reshape(tf, v, -1, width)), width);
  }

  private static <W extends TFloating> Operand<W> rowMean(Ops tf, Operand<W> v) {
    return tf.math.mean(v, tf.constant(-1), Mean.keepDims(true));
  }
}
