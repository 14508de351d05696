package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * How a parameter starts. Random ones use stateless RNG seeded from the model seed and the
 * parameter's name, so a parameter's initial value does not depend on the order layers are built.
 */
@FunctionalInterface
public interface Initializer {
  <T extends TFloating> Operand<T> build(Ops tf, Class<T> dtype, long[] shape, long seed);

  static Initializer constant(double value) {
    return new Initializer() {
      @Override
      public <T extends TFloating> Operand<T> build(Ops tf, Class<T> dtype, long[] shape, long seed) {
        return tf.fill(shapeOf(tf, shape), tf.constant(dtype, value));
      }
    };
  }

  static Initializer zeros() {
    return constant(0.0);
  }

  static Initializer ones() {
    return constant(1.0);
  }

  /** U(-bound, bound), PyTorch's default for Linear weights and biases with bound = 1/sqrt(in). */
  static Initializer uniform(double bound) {
    return new Initializer() {
      @Override
      public <T extends TFloating> Operand<T> build(Ops tf, Class<T> dtype, long[] shape, long seed) {
        Operand<T> u01 = tf.random.statelessRandomUniform(shapeOf(tf, shape), seedOf(tf, seed), dtype);
        // u * 2b - b
        return tf.math.sub(tf.math.mul(u01, tf.constant(dtype, 2 * bound)), tf.constant(dtype, bound));
      }
    };
  }

  /** N(0, stddev^2), e.g. for embeddings. */
  static Initializer normal(double stddev) {
    return new Initializer() {
      @Override
      public <T extends TFloating> Operand<T> build(Ops tf, Class<T> dtype, long[] shape, long seed) {
        Operand<T> n = tf.random.statelessRandomNormal(shapeOf(tf, shape), seedOf(tf, seed), dtype);
        return tf.math.mul(n, tf.constant(dtype, stddev));
      }
    };
  }

  private static Operand<TInt32> shapeOf(Ops tf, long[] shape) {
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = Math.toIntExact(shape[i]);
    }
    return tf.constant(dims);
  }

  private static Operand<TInt64> seedOf(Ops tf, long seed) {
    return tf.constant(new long[] {seed, seed >>> 32 ^ 0x9E3779B97F4A7C15L});
  }
}
