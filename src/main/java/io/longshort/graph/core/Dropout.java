package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Inverted dropout from a counter-based hash (the same numbers plain and compiled by XLA): given the same seed a step drops the same units, so runs
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

  /**
   * Uniform [0, 1) numbers shaped like {@code x}, multiples of 2^-24, from an integer hash of
   * (seed, step, site, element index) in int64 ops without overflow. Not StatelessRandomUniform:
   * its XLA kernel draws other numbers than its CPU kernel for the same seed, and a training step
   * compiled by XLA must drop the same units as the plain one.
   */
  private Operand<org.tensorflow.types.TFloat32> uniform(Ops tf, Operand<?> x, int site) {
    Operand<TInt64> mask = tf.constant(0xFFFFFFFFL);
    Operand<TInt64> s0 = tf.bitwise.bitwiseAnd(
        tf.squeeze(tf.slice(seed, tf.constant(new long[] {0}), tf.constant(new long[] {1}))), mask);
    Operand<TInt64> s1 = tf.bitwise.bitwiseAnd(tf.math.add(
        tf.squeeze(tf.slice(seed, tf.constant(new long[] {1}), tf.constant(new long[] {1}))),
        tf.constant((long) site * 0x9E3779B1L)), mask);
    Operand<TInt64> key = hash(tf, tf.bitwise.bitwiseXor(hash(tf, s0), s1));
    Operand<TInt64> size = tf.size(x, TInt64.class);
    Operand<TInt64> index = tf.reshape(tf.range(tf.constant(0L), size, tf.constant(1L)), tf.shape(x, TInt64.class));
    Operand<TInt64> h = hash(tf, tf.bitwise.bitwiseAnd(tf.math.add(index, hash(tf, key)), mask));
    // the top 24 of 32 bits: exact in float32
    return tf.math.mul(tf.dtypes.cast(tf.bitwise.rightShift(h, tf.constant(8L)), org.tensorflow.types.TFloat32.class),
        tf.constant((float) Math.scalb(1.0, -24)));
  }

  /** A 32-bit integer hash (x in [0, 2^32)): twice x = ((x >> 16) ^ x) * 0x45d9f3b mod 2^32, then x ^= x >> 16. */
  public static Operand<TInt64> hash(Ops tf, Operand<TInt64> x) {
    Operand<TInt64> mask = tf.constant(0xFFFFFFFFL);
    Operand<TInt64> sixteen = tf.constant(16L);
    Operand<TInt64> c = tf.constant(0x45d9f3bL); // < 2^27: the products stay below 2^59
    for (int i = 0; i < 2; i++) {
      x = tf.bitwise.bitwiseAnd(tf.math.mul(tf.bitwise.bitwiseXor(tf.bitwise.rightShift(x, sixteen), x), c), mask);
    }
    return tf.bitwise.bitwiseXor(tf.bitwise.rightShift(x, sixteen), x);
  }

  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, Operand<T> x) {
    if (!active()) {
      return x;
    }
    Ops tf = s.tf();
    int site = ++sites;
    Operand<org.tensorflow.types.TFloat32> uniform = uniform(tf, x, site);
    // keep with probability 1 - p, scaled by 1 / (1 - p): the identity at p = 0
    if (Precision.isNarrow(s.dtype())) {
      // bfloat16/float16 graphs decide in float32: the same masks as a float32 graph, and no 8-bit
      // quantisation of the keep probability
      Operand<org.tensorflow.types.TFloat32> scale = tf.math.div(
          tf.dtypes.cast(tf.math.greaterEqual(uniform, rate), org.tensorflow.types.TFloat32.class),
          tf.math.sub(tf.constant(1f), rate));
      return tf.math.mul(x, tf.dtypes.cast(scale, s.dtype()));
    }
    Operand<T> u = tf.dtypes.cast(uniform, s.dtype());
    Operand<T> p = tf.dtypes.cast(rate, s.dtype());
    Operand<T> keep = tf.dtypes.cast(tf.math.greaterEqual(u, p), s.dtype());
    return tf.math.mul(x, tf.math.div(keep, tf.math.sub(s.scalar(1.0), p)));
  }
}
