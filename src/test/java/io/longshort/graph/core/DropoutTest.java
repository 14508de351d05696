package io.longshort.graph.core;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.XlaFunction;
import io.longshort.reference.GraphReadback;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** The hash-based dropout: the rate it asks for, inverted scaling, and masks fixed by the seed. */
class DropoutTest {
  private static double[] run(long seed, long step, float rate) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      Ops tf = root.tf();
      Placeholder<TInt64> seedIn = tf.placeholder(TInt64.class);
      Dropout d = Dropout.training(seedIn, tf.constant(rate));
      Operand<TFloat32> y = d.apply(root, tf.ones(tf.constant(new int[] {200, 500}), TFloat32.class));
      try (TInt64 t = TInt64.vectorOf(seed, step); var r = s.runner().feed(seedIn, t).fetch(y).run()) {
        return HostTensors.toDoubles(r.get(0));
      }
    }
  }

  /**
   * Masks built in XLA-compiled functions (every site, from one element) are the plain masks, bit
   * for bit, in float32 and bfloat16, over two sites and a 3-D shape; and the function calls are
   * really there.
   */
  @Test
  void compiledMasksAreThePlainMasks() {
    for (Class<? extends org.tensorflow.types.family.TFloating> dtype
        : java.util.List.of(TFloat32.class, org.tensorflow.types.TBfloat16.class)) {
      for (float rate : new float[] {0.1f, 0.5f, 0f}) {
        double[] plain = twoSites(dtype, false, rate);
        double[] compiled = twoSites(dtype, true, rate);
        assertArrayEquals(plain, compiled, 0.0, dtype.getSimpleName() + " rate " + rate);
        if (rate > 0) {
          assertTrue(Arrays.stream(plain).anyMatch(v -> v == 0), "some units dropped");
        }
      }
    }
  }

  private static <T extends org.tensorflow.types.family.TFloating> double[] twoSites(Class<T> dtype,
      boolean compiled, float rate) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      GraphScope<T> plain = GraphScope.root(new Parameters<>(g, dtype, 0));
      GraphScope<T> root = compiled ? plain.withCompiledPieces(io.longshort.compile.XlaPieces.withMinElements(1)) : plain;
      Ops tf = root.tf();
      Placeholder<TInt64> seedIn = tf.placeholder(TInt64.class);
      Dropout d = Dropout.training(seedIn, tf.constant(rate));
      Operand<T> x = tf.dtypes.cast(tf.ones(tf.constant(new int[] {3, 40, 50}), TFloat32.class), dtype);
      Operand<T> y = d.apply(root.child("a"), d.apply(root.child("b"), x));
      assertEquals(compiled ? 2 : 0, GraphReadback.countOps(g, XlaFunction.CALL_OP), "compiled mask calls");
      try (TInt64 t = TInt64.vectorOf(42, 7); var r = s.runner().feed(seedIn, t).fetch(y).run()) {
        return HostTensors.toDoubles(r.get(0));
      }
    }
  }

  @Test
  void dropsTheRateAndScalesTheRest() {
    double[] y = run(42, 7, 0.1f);
    long zeros = Arrays.stream(y).filter(v -> v == 0).count();
    assertEquals(0.1, zeros / (double) y.length, 0.005, "dropped fraction");
    assertTrue(Arrays.stream(y).allMatch(v -> v == 0 || Math.abs(v - 1 / 0.9) < 1e-6));
    assertArrayEquals(y, run(42, 7, 0.1f), "the same seed and step drop the same units");
    assertFalse(Arrays.equals(y, run(42, 8, 0.1f)), "another step drops others");
    assertFalse(Arrays.equals(y, run(43, 7, 0.1f)), "another seed drops others");
    assertTrue(Arrays.stream(run(42, 7, 0f)).allMatch(v -> v == 1), "rate 0 is the identity");
  }

  /** The documented int64 hash, in Java: x in [0, 2^32). */
  private static long hash(long x) {
    for (int i = 0; i < 2; i++) {
      x = (((x >>> 16) ^ x) * 0x45d9f3bL) & 0xFFFFFFFFL;
    }
    return (x >>> 16) ^ x;
  }

  @Test
  void masksAreTheInt64HashOfSeedSiteAndIndex() {
    long seed = 42;
    long step = 7;
    float rate = 0.1f;
    double[] y = run(seed, step, rate);
    long s0 = seed & 0xFFFFFFFFL;
    long s1 = (step + 0x9E3779B1L) & 0xFFFFFFFFL; // site 1
    long key = hash(hash(hash(s0) ^ s1));
    for (int i = 0; i < y.length; i++) {
      long h = hash((i + key) & 0xFFFFFFFFL);
      float u = (float) ((h >>> 8) * Math.scalb(1.0, -24));
      assertEquals(u >= rate, y[i] != 0, "element " + i);
    }
  }
}
