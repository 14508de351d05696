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
    // int32 seed values: XLA's StatelessRandomUniform takes only Tseed = int32, and the kernels
    // derive the same Philox key from an int32 and an int64 seed of equal value, so masks of seeds
    // below 2^31 are what they were with int64 (larger ones keep their low 32 bits)
    Operand<TInt32> siteSeed = tf.dtypes.cast(tf.math.add(seed, tf.constant(new long[] {0, site})), TInt32.class);
    Operand<TInt32> shape = tf.shape(x);
    Operand<T> u = tf.random.statelessRandomUniform(shape, siteSeed, s.dtype());
    Operand<T> p = tf.dtypes.cast(rate, s.dtype());
    // keep with probability 1 - p, scaled by 1 / (1 - p): the identity at p = 0
    Operand<T> keep = tf.dtypes.cast(tf.math.greaterEqual(u, p), s.dtype());
    return tf.math.mul(x, tf.math.div(keep, tf.math.sub(s.scalar(1.0), p)));
  }
}
