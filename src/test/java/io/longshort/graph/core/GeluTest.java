package io.longshort.graph.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * The block's GELU (tensorflow-framework's exact GELU) against a plain-Java float64 x * Phi(x),
 * Phi by Simpson's rule on the normal density, and its TF gradient against Phi(x) + x phi(x).
 */
class GeluTest {
  private static final int POINTS = 241;

  private static double[] inputs() {
    double[] x = new double[POINTS];
    for (int i = 0; i < POINTS; i++) {
      x[i] = -6 + 12.0 * i / (POINTS - 1) + 1e-3 * Math.sin(i); // off the grid's round numbers
    }
    return x;
  }

  static double density(double t) {
    return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  }

  /** Phi(x) = 1/2 + integral_0^x phi, Simpson's rule with 4000 intervals (error far below 1e-13). */
  static double phi(double x) {
    int n = 4000;
    double h = x / n;
    double sum = density(0) + density(x);
    for (int i = 1; i < n; i++) {
      sum += (i % 2 == 1 ? 4 : 2) * density(i * h);
    }
    return 0.5 + sum * h / 3;
  }

  @Test
  void float64ValuesAndGradientMatchTheReference() {
    double[] x = inputs();
    double[][] got = run(TFloat64.class, x);
    for (int i = 0; i < POINTS; i++) {
      double p = phi(x[i]);
      assertEquals(x[i] * p, got[0][i], 1e-12, "gelu(" + x[i] + ")");
      assertEquals(p + x[i] * density(x[i]), got[1][i], 1e-12, "gelu'(" + x[i] + ")");
    }
  }

  @Test
  void float32ValuesMatchTheReference() {
    double[] x = inputs();
    double[][] got = run(TFloat32.class, x);
    for (int i = 0; i < POINTS; i++) {
      double expected = (float) x[i] * phi((float) x[i]);
      assertEquals(expected, got[0][i], 2e-6 * Math.max(1, Math.abs(expected)), "gelu(" + x[i] + ")");
    }
  }

  private static <T extends TFloating> double[][] run(Class<T> type, double[] x) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<T> in = tf.placeholder(type, Placeholder.shape(Shape.of(POINTS)));
      Operand<T> y = PreLnBlock.gelu(tf, in);
      // d sum(y) / dx = gelu'(x) elementwise
      Output<?>[] dy = g.addGradients(tf.sum(y, tf.constant(0)).asOutput(), new Output<?>[] {in.asOutput()});
      try (var t = HostTensors.of(type, new long[] {POINTS}, x);
          var r = s.runner().feed(in, t).fetch(y).fetch(dy[0]).run()) {
        return new double[][] {HostTensors.toDoubles(r.get(0)), HostTensors.toDoubles(r.get(1))};
      }
    }
  }
}
