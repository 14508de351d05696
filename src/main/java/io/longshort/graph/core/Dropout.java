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

  /**
   * {@link #training} for a model whose configured rate (the rate its training step feeds) is
   * {@code configuredRate}, or {@link #none} when that is 0: the seed and rate inputs then stay in
   * the graph, unused, and no mask is hashed for a rate of 0 (the authors' LRA settings train at 0).
   */
  public static Dropout forRate(double configuredRate, Operand<TInt64> seed,
      Operand<org.tensorflow.types.TFloat32> rate) {
    return configuredRate > 0 ? training(seed, rate) : none();
  }

  public boolean active() {
    return seed != null;
  }

  /** The (2) int64 seed, or null without dropout. */
  public Operand<TInt64> seed() {
    return seed;
  }

  /** The float32 rate, or null without dropout. */
  public Operand<org.tensorflow.types.TFloat32> rate() {
    return rate;
  }

  /** How many call sites this dropout has numbered so far. */
  public int sites() {
    return sites;
  }

  /**
   * Dropout from {@code seed} and {@code rate} whose next call site is number {@code sitesBefore + 1}:
   * a block rebuilt elsewhere (a recomputed block's backward function) drops the units it dropped
   * where it was first built, when given that place's {@link #sites()} before the block.
   */
  public static Dropout continuing(Operand<TInt64> seed, Operand<org.tensorflow.types.TFloat32> rate, int sitesBefore) {
    Dropout d = new Dropout(seed, rate);
    d.sites = sitesBefore;
    return d;
  }

  /**
   * Whether to keep each element of {@code x}: u >= rate for uniform u in [0, 1), multiples of
   * 2^-24, from an integer hash of (seed, step, site, element index). Not StatelessRandomUniform:
   * its XLA kernel draws other numbers than its CPU kernel for the same seed, and a training step
   * compiled by XLA must drop the same units as the plain one.
   *
   * <p>The per-element hash is {@link #hash} computed in int32 with wrap-around (32-bit words as
   * two's complement bits, logical shifts as arithmetic shifts and a mask): the same numbers as
   * the int64 form, in half the memory traffic and without its masking after every product (this
   * is the largest element-wise work of a training step). Element indices are int32, so x holds
   * fewer than 2^31 elements. The comparison is on the 24-bit integer itself, against rate * 2^24
   * (exact in float32), the same decision as u >= rate.
   */
  private static Operand<org.tensorflow.types.TBool> keep(Ops tf, Operand<TInt64> seed,
      Operand<org.tensorflow.types.TFloat32> rate, Operand<TInt32> size, Operand<TInt32> shape, int site) {
    Operand<TInt64> mask = tf.constant(0xFFFFFFFFL);
    Operand<TInt64> s0 = tf.bitwise.bitwiseAnd(
        tf.squeeze(tf.slice(seed, tf.constant(new long[] {0}), tf.constant(new long[] {1}))), mask);
    Operand<TInt64> s1 = tf.bitwise.bitwiseAnd(tf.math.add(
        tf.squeeze(tf.slice(seed, tf.constant(new long[] {1}), tf.constant(new long[] {1}))),
        tf.constant((long) site * 0x9E3779B1L)), mask);
    Operand<TInt64> key = hash(tf, hash(tf, tf.bitwise.bitwiseXor(hash(tf, s0), s1)));
    // the scalar key in [0, 2^32) as the int32 with the same bits
    Operand<TInt32> key32 = tf.dtypes.cast(tf.math.sub(key,
        tf.bitwise.leftShift(tf.bitwise.rightShift(key, tf.constant(31L)), tf.constant(32L))), TInt32.class);
    Operand<TInt32> index = tf.reshape(tf.range(tf.constant(0), size, tf.constant(1)), shape);
    Operand<TInt32> h = hash32(tf, tf.math.add(index, key32));
    // the top 24 of 32 bits: exact in float32
    Operand<TInt32> top = tf.bitwise.bitwiseAnd(tf.bitwise.rightShift(h, tf.constant(8)), tf.constant(0xFFFFFF));
    return tf.math.greaterEqual(tf.dtypes.cast(top, org.tensorflow.types.TFloat32.class),
        tf.math.mul(rate, tf.constant((float) Math.scalb(1.0, 24))));
  }

  /** {@link #hash} on int32 words (the same bits): products wrap around, shifts are masked. */
  static Operand<TInt32> hash32(Ops tf, Operand<TInt32> x) {
    Operand<TInt32> low16 = tf.constant(0xFFFF);
    Operand<TInt32> sixteen = tf.constant(16);
    Operand<TInt32> c = tf.constant(0x45d9f3b);
    for (int i = 0; i < 2; i++) {
      x = tf.math.mul(tf.bitwise.bitwiseXor(tf.bitwise.bitwiseAnd(tf.bitwise.rightShift(x, sixteen), low16), x), c);
    }
    return tf.bitwise.bitwiseXor(tf.bitwise.bitwiseAnd(tf.bitwise.rightShift(x, sixteen), low16), x);
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

  /**
   * x * mask, the mask scaled by 1 / (1 - rate). Where the scope has {@link CompiledPieces} that
   * cover x, the site is one compiled piece: the hash, the mask and the product in one loop, and
   * its gradient dy * mask the same way (the mask recomputed from the seed, never stored). The
   * integer ops are the same, so the units dropped are the same.
   */
  @SuppressWarnings("unchecked")
  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, Operand<T> x) {
    if (!active()) {
      return x;
    }
    Ops tf = s.tf();
    int site = ++sites;
    CompiledPieces pieces = s.compiledPieces();
    if (pieces != null && pieces.covers(x)) {
      int elements = Math.toIntExact(x.shape().size());
      int[] dims = java.util.Arrays.stream(x.shape().asArray()).mapToInt(Math::toIntExact).toArray();
      // the mask from the function's (x, seed, rate, ...) stand-ins
      java.util.function.BiFunction<GraphScope<T>, java.util.List<org.tensorflow.Output<?>>, Operand<T>> mask =
          (fs, a) -> {
            Operand<org.tensorflow.types.TFloat32> frate = a.get(2).expect(org.tensorflow.types.TFloat32.class);
            return scaledMask(fs, keep(fs.tf(), a.get(1).expect(TInt64.class), frate, fs.tf().constant(elements),
                fs.tf().constant(dims), site), frate);
          };
      // (x, seed, rate) -> x * mask; (seed, rate, dy) -> dy * mask, and zeros for the seed and rate: the
      // gradient does not read x, so x need not stay alive until the backward pass
      return (Operand<T>) pieces.callWithGradient(s, "dropout_" + site, java.util.List.of(x, seed, rate),
          new boolean[] {false, true, true},
          (fs, a) -> java.util.List.of(fs.tf().math.mul((Operand<T>) a.get(0), mask.apply(fs, a))),
          (fs, a) -> java.util.List.of(fs.tf().math.mul((Operand<T>) a.get(3), mask.apply(fs, a)),
              fs.tf().zerosLike(a.get(1)), fs.tf().zerosLike(a.get(2))))
          .expect(x.type());
    }
    Operand<org.tensorflow.types.TBool> keep = keep(tf, seed, rate, tf.size(x, TInt32.class),
        tf.shape(x, TInt32.class), site);
    return tf.math.mul(x, scaledMask(s, keep, rate));
  }

  /**
   * Keep with probability 1 - p, scaled by 1 / (1 - p): the identity at p = 0; one select gives
   * the scaled mask. bfloat16/float16 graphs scale in float32 (no 8-bit quantisation of
   * 1 / (1 - p)), then cast.
   */
  private static <T extends TFloating> Operand<T> scaledMask(GraphScope<T> s, Operand<org.tensorflow.types.TBool> keep,
      Operand<org.tensorflow.types.TFloat32> rate) {
    Ops tf = s.tf();
    if (Precision.isNarrow(s.dtype())) {
      Operand<org.tensorflow.types.TFloat32> scale = tf.math.reciprocal(tf.math.sub(tf.constant(1f), rate));
      return tf.dtypes.cast(tf.select(keep, scale, tf.constant(0f)), s.dtype());
    }
    Operand<T> scale = tf.math.reciprocal(tf.math.sub(s.scalar(1.0), tf.dtypes.cast(rate, s.dtype())));
    return tf.select(keep, scale, s.scalar(0.0));
  }
}
