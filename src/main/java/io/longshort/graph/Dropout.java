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
  private final double rate;
  private int sites;

  private Dropout(Operand<TInt64> seed, double rate) {
    this.seed = seed;
    this.rate = rate;
  }

  /** No dropout (inference, or rate 0). */
  public static Dropout none() {
    return new Dropout(null, 0);
  }

  /**
   * @param seed a (2) int64 tensor, fed per step by the training loop
   * @param rate the probability of dropping a unit, in [0, 1)
   */
  public static Dropout training(Operand<TInt64> seed, double rate) {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("dropout rate (" + rate + ") must be in [0, 1)");
    }
    return new Dropout(seed, rate);
  }

  public boolean active() {
    return seed != null && rate > 0;
  }

  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, Operand<T> x) {
    if (!active()) {
      return x;
    }
    Ops tf = s.tf();
    int site = ++sites;
    Operand<TInt64> siteSeed = tf.math.add(seed, tf.constant(new long[] {0, site}));
    Operand<TInt32> shape = tf.shape(x);
    Operand<T> u = tf.random.statelessRandomUniform(shape, siteSeed, s.dtype());
    Operand<T> keep = tf.dtypes.cast(tf.math.greaterEqual(u, s.scalar(rate)), s.dtype());
    return tf.math.mul(x, tf.math.mul(keep, s.scalar(1.0 / (1.0 - rate))));
  }
}
