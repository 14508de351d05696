package io.longshort.graph;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Inverted dropout from stateless RNG: given the same seed a step drops the same units, so runs
 * are reproducible and resumable. Each call site gets its own stream (seed + site number). In an
 * inference graph ({@link #none()}) it is the identity.
 */
public final class Dropout {
  private final Operand<TInt64> seed;
  private final Operand<org.tensorflow.types.TFloat32> rate;
  private int sites;

  private Dropout(Operand<TInt64> seed, Operand<org.tensorflow.types.TFloat32> rate) {
    this.seed = seed;
    this.rate = rate;
  }

  /** No dropout (inference, or rate 0). */
  public static Dropout none() {
    return new Dropout(null, null);
  }

  /**
   * @param seed a (2) int64 tensor, fed per step by the training loop
   * @param rate the probability of dropping a unit, a float32 scalar in [0, 1): fed during
   *     training, 0 (the identity) when evaluating with the same graph
   */
  public static Dropout training(Operand<TInt64> seed, Operand<org.tensorflow.types.TFloat32> rate) {
    return new Dropout(seed, rate);
  }

  public boolean active() {
    return seed != null;
  }

  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, Operand<T> x) {
    if (!active()) {
      return x;
    }
    Ops tf = s.tf();
    int site = ++sites;
    Operand<TInt64> siteSeed = tf.math.add(seed, tf.constant(new long[] {0, site}));
    Operand<TInt32> shape = tf.shape(x);
    // keep with probability 1 - p, scaled by 1 / (1 - p): the identity at p = 0
    if (Precision.isNarrow(s.dtype())) {
      // bfloat16/float16 graphs draw the same float32 uniforms as a float32 graph: same masks, and
      // no 8-bit quantisation of the keep probability
      Operand<org.tensorflow.types.TFloat32> u = tf.random.statelessRandomUniform(shape, siteSeed,
          org.tensorflow.types.TFloat32.class);
      Operand<org.tensorflow.types.TFloat32> scale = tf.math.div(
          tf.dtypes.cast(tf.math.greaterEqual(u, rate), org.tensorflow.types.TFloat32.class),
          tf.math.sub(tf.constant(1f), rate));
      return tf.math.mul(x, tf.dtypes.cast(scale, s.dtype()));
    }
    Operand<T> u = tf.random.statelessRandomUniform(shape, siteSeed, s.dtype());
    Operand<T> p = tf.dtypes.cast(rate, s.dtype());
    Operand<T> keep = tf.dtypes.cast(tf.math.greaterEqual(u, p), s.dtype());
    return tf.math.mul(x, tf.math.div(keep, tf.math.sub(s.scalar(1.0), p)));
  }
}
