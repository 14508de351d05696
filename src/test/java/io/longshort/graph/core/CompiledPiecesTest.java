package io.longshort.graph.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.XlaFunction;
import io.longshort.compile.XlaPieces;
import io.longshort.reference.FiniteDifferences;
import io.longshort.reference.GraphReadback;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * LayerNorm, GELU and dropout built as compiled pieces ({@link XlaPieces}, from one element on)
 * against the same layers as plain ops: values and gradients (TensorFlow's own gradients of the
 * plain ops), LayerNorm's also against central differences of a plain-Java float64 LayerNorm,
 * GELU's against Phi(x) + x phi(x); and the IdentityN gradient the pieces register, which must pass
 * the gradients of every other IdentityN through.
 */
class CompiledPiecesTest {
  private static final CompiledPieces ALL = XlaPieces.withMinElements(1);
  private static final long[] SHAPE = {4, 30, 16};
  private static final int D = 16;

  /** y = site(x) and d sum(c y) / d (x, then each parameter in creation order), as doubles. */
  private record Run(double[] y, List<double[]> grads) {}

  @FunctionalInterface
  private interface Site {
    Operand<TFloat32> build(GraphScope<TFloat32> s, Operand<TFloat32> x);
  }

  private static Run run(boolean compiled, double[] x, double[] c, List<double[]> paramValues, Site site,
      int expectedCalls) {
    return run(compiled, SHAPE, x, c, paramValues, site, expectedCalls);
  }

  private static Run run(boolean compiled, long[] shape, double[] x, double[] c, List<double[]> paramValues,
      Site site, int expectedCalls) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
      GraphScope<TFloat32> plain = GraphScope.root(params);
      GraphScope<TFloat32> root = compiled ? plain.withCompiledPieces(ALL) : plain;
      Ops tf = root.tf();
      // (B, N, D)
      Placeholder<TFloat32> xIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
      Placeholder<TFloat32> cIn = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
      Operand<TFloat32> y = site.build(root.child("site"), xIn);
      Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(y, cIn), tf.constant(new int[] {0, 1, 2}));
      List<Output<?>> wrt = new ArrayList<>(List.of(xIn.asOutput()));
      params.list().forEach(p -> wrt.add(p.value().asOutput()));
      Output<?>[] d = g.addGradients(loss.asOutput(), wrt.toArray(Output<?>[]::new));
      assertEquals(expectedCalls, GraphReadback.countOps(g, XlaFunction.CALL_OP), "compiled calls (forward and gradient)");
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.of(TFloat32.class, shape, x));
        fed.add(HostTensors.of(TFloat32.class, shape, c));
        Session.Runner r = s.runner().feed(xIn, fed.get(0)).feed(cIn, fed.get(1));
        for (int i = 0; i < params.list().size(); i++) {
          Parameter<TFloat32> p = params.list().get(i);
          fed.add(HostTensors.of(TFloat32.class, p.shape(), paramValues.get(i)));
          r.feed(p.value(), fed.get(fed.size() - 1));
        }
        List<Operand<?>> fetches = new ArrayList<>(List.of(y));
        fetches.addAll(List.of(d));
        List<double[]> out = GraphReadback.fetchDoubles(r, fetches);
        return new Run(out.get(0), out.subList(1, out.size()));
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static double[] normal(Random rnd, int n, double mean, double sd) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = mean + sd * rnd.nextGaussian();
    }
    return v;
  }

  private static int size() {
    return (int) (SHAPE[0] * SHAPE[1] * SHAPE[2]);
  }

  /** |a - b| <= tol * max(1, |largest value of a|), element by element. */
  private static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": size");
    double scale = 1;
    for (double v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * scale, what + "[" + i + "]");
    }
  }

  /** sum(c LayerNorm(x)) in float64, rows of D values, biased variance. */
  private static double layerNormLoss(double[] x, double[] w, double[] b, double[] c, double eps) {
    double loss = 0;
    for (int row = 0; row < x.length / D; row++) {
      double mean = 0;
      for (int j = 0; j < D; j++) {
        mean += x[row * D + j] / D;
      }
      double var = 0;
      for (int j = 0; j < D; j++) {
        var += Math.pow(x[row * D + j] - mean, 2) / D;
      }
      for (int j = 0; j < D; j++) {
        loss += c[row * D + j] * ((x[row * D + j] - mean) / Math.sqrt(var + eps) * w[j] + b[j]);
      }
    }
    return loss;
  }

  /**
   * From 4096 rows on the gradient sums its rows by a product with ones, below by a reduce (the
   * other test's 120 rows): the product's form too.
   */
  @Test
  void layerNormOfManyRowsMatchesThePlainOps() {
    long[] shape = {2, 2048, 3};
    int n = 2 * 2048 * 3;
    Random rnd = new Random(11);
    double[] x = normal(rnd, n, 1.5, 2.0);
    double[] c = normal(rnd, n, 0, 1);
    List<double[]> wb = List.of(normal(rnd, 3, 1, 0.5), normal(rnd, 3, 0, 0.5));
    Site site = (s, in) -> LayerNorm.create(s, 3, 1e-5).apply(in);
    Run plain = run(false, shape, x, c, wb, site, 0);
    Run compiled = run(true, shape, x, c, wb, site, 2);
    assertClose(plain.y(), compiled.y(), 1e-5, "y");
    String[] names = {"dx", "dweight", "dbias"};
    for (int i = 0; i < 3; i++) {
      assertClose(plain.grads().get(i), compiled.grads().get(i), 1e-5, names[i]);
    }
  }

  @Test
  void layerNormMatchesThePlainOpsAndFiniteDifferences() {
    Random rnd = new Random(7);
    double[] x = normal(rnd, size(), 1.5, 2.0);
    double[] c = normal(rnd, size(), 0, 1);
    List<double[]> wb = List.of(normal(rnd, D, 1, 0.5), normal(rnd, D, 0, 0.5));
    Site site = (s, in) -> LayerNorm.create(s, D, 1e-5).apply(in);
    Run plain = run(false, x, c, wb, site, 0);
    Run compiled = run(true, x, c, wb, site, 2);
    assertClose(plain.y(), compiled.y(), 1e-5, "y");
    String[] names = {"dx", "dweight", "dbias"};
    for (int i = 0; i < 3; i++) {
      assertClose(plain.grads().get(i), compiled.grads().get(i), 1e-5, names[i]);
    }
    List<double[]> values = List.of(x.clone(), wb.get(0).clone(), wb.get(1).clone());
    FiniteDifferences.Worst worst = FiniteDifferences.compare(List.of(names), values,
        compiled.grads().toArray(double[][]::new), 40, 1e-4, new Random(3),
        () -> layerNormLoss(values.get(0), values.get(1), values.get(2), c, 1e-5));
    assertTrue(worst.error() < 1e-4, "relative error against central differences " + worst.error() + " at "
        + worst.where());
  }

  @Test
  void geluMatchesThePlainOpsAndItsDerivative() {
    Random rnd = new Random(11);
    double[] x = new double[size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = -6 + 12 * rnd.nextDouble();
    }
    double[] c = normal(rnd, size(), 0, 1);
    Site site = (s, in) -> PreLnBlock.gelu(s, in);
    Run plain = run(false, x, c, List.of(), site, 0);
    Run compiled = run(true, x, c, List.of(), site, 2);
    assertClose(plain.y(), compiled.y(), 2e-6, "gelu");
    assertClose(plain.grads().get(0), compiled.grads().get(0), 2e-6, "d gelu");
    double[] dx = compiled.grads().get(0);
    for (int i = 0; i < x.length; i += 37) {
      double xf = (float) x[i];
      double expected = (float) c[i] * (GeluTest.phi(xf) + xf * GeluTest.density(xf));
      assertEquals(expected, dx[i], 2e-6 * Math.max(1, Math.abs(expected)), "c gelu'(" + xf + ")");
    }
  }

  @Test
  void dropoutsGradientIsItsMask() {
    Random rnd = new Random(5);
    double[] x = normal(rnd, size(), 0, 1);
    double[] c = normal(rnd, size(), 0, 1);
    float rate = 0.25f;
    Site site = (s, in) -> Dropout.training(s.tf().constant(new long[] {42, 7}), s.tf().constant(rate)).apply(s, in);
    Run plain = run(false, x, c, List.of(), site, 0);
    Run compiled = run(true, x, c, List.of(), site, 2);
    assertClose(plain.y(), compiled.y(), 0, "the same units dropped, the same scaling");
    assertClose(plain.grads().get(0), compiled.grads().get(0), 0, "dx");
    double[] dx = compiled.grads().get(0);
    long dropped = 0;
    for (int i = 0; i < x.length; i++) {
      boolean kept = compiled.y()[i] != 0;
      dropped += kept ? 0 : 1;
      assertEquals(kept ? (float) c[i] * (1 / (1 - rate)) : 0, dx[i], 1e-6 * Math.abs(c[i]), "dx[" + i + "]");
    }
    assertEquals(rate, dropped / (double) x.length, 0.02, "dropped fraction");
  }

  /**
   * Dropout's gradient reads the seed and rate, not x: its compiled gradient call must not take x,
   * or the step would keep every dropout site's input alive until the backward pass.
   */
  @Test
  void dropoutsGradientCallDoesNotTakeItsInput() {
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0)).withCompiledPieces(ALL);
      Ops tf = root.tf();
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(SHAPE)));
      Operand<TFloat32> y = Dropout.training(tf.constant(new long[] {42, 7}), tf.constant(0.25f)).apply(root, x);
      g.addGradients(tf.reduceSum(y, tf.constant(new int[] {0, 1, 2})).asOutput(), new Output<?>[] {x.asOutput()});
      List<String> callsOfX = new ArrayList<>();
      g.operations().forEachRemaining(op -> {
        org.tensorflow.GraphOperation o = (org.tensorflow.GraphOperation) op;
        for (int i = 0; i < o.numInputs(); i++) {
          if (o.type().equals(XlaFunction.CALL_OP) && o.input(i).equals(x.asOutput())) {
            callsOfX.add(o.name());
          }
        }
      });
      assertEquals(2, GraphReadback.countOps(g, XlaFunction.CALL_OP), "compiled calls (forward and gradient)");
      assertEquals(1, callsOfX.size(), "compiled calls that take x (the forward only): " + callsOfX);
    }
  }

  /** Other IdentityN ops keep their true gradient once the pieces' gradient is registered. */
  @Test
  void anIdentityNThatCarriesNoPiecePassesItsGradients() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0)).withCompiledPieces(ALL);
      Ops tf = root.tf();
      Placeholder<TFloat32> a = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(3)));
      Placeholder<TFloat32> b = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(2, 2)));
      // a piece in this graph, so that its gradient is registered and the graph has a carrier
      Operand<TFloat32> ga = PreLnBlock.gelu(root, a);
      var both = tf.identityN(List.of(a, b));
      Operand<TFloat32> loss = tf.math.add(tf.math.add(
          tf.reduceSum(tf.math.mul(tf.constant(2f), both.output().get(0).expect(TFloat32.class)), tf.constant(0)),
          tf.reduceSum(tf.math.mul(tf.constant(3f), both.output().get(1).expect(TFloat32.class)),
              tf.constant(new int[] {0, 1}))),
          tf.reduceSum(ga, tf.constant(0)));
      Output<?>[] d = g.addGradients(loss.asOutput(), new Output<?>[] {b.asOutput(), a.asOutput()});
      try (var ta = HostTensors.of(TFloat32.class, new long[] {3}, new double[] {0, 1, -1});
          var tb = HostTensors.of(TFloat32.class, new long[] {2, 2}, new double[] {1, 2, 3, 4});
          var r = s.runner().feed(a, ta).feed(b, tb).fetch(d[0]).fetch(d[1]).run()) {
        assertClose(new double[] {3, 3, 3, 3}, HostTensors.toDoubles(r.get(0)), 0, "d b");
        double[] da = new double[3];
        double[] av = {0, 1, -1};
        for (int i = 0; i < 3; i++) {
          da[i] = 2 + GeluTest.phi(av[i]) + av[i] * GeluTest.density(av[i]);
        }
        assertClose(da, HostTensors.toDoubles(r.get(1)), 1e-6, "d a: 2 + gelu'(a)");
      }
    }
  }

  @Test
  void aGradientOfTheWrongArityIsRefusedByName() {
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      Ops tf = root.tf();
      Placeholder<TFloat32> a = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(3)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ALL.callWithGradient(root,
          "twice", List.of(a),
          (s, in) -> List.of(s.tf().math.add(in.get(0).expect(TFloat32.class), in.get(0).expect(TFloat32.class))),
          (s, in) -> List.of(in.get(1), in.get(1))));
      assertTrue(e.getMessage().contains("'twice'") && e.getMessage().contains("returns 2 tensors for 1 inputs"),
          e.getMessage());
    }
  }
}
