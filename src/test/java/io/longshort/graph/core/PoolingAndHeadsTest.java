package io.longshort.graph.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.FiniteDifferences;
import io.longshort.reference.GraphReadback;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
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
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Pooling.mean/cls, ClassificationHead and RegressionHead in float32 and float64 against plain-Java
 * float64 references: their values, and the graph's gradients (of sum(c y) with respect to the
 * input and every parameter) against central differences of the reference.
 */
class PoolingAndHeadsTest {
  private static final int B = 3;
  private static final int N = 5;
  private static final int D = 4;
  /** Row 0 all real, row 1 two real tokens, row 2 none (its mean must be 0, not NaN). */
  private static final int[] MASK = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0};

  @FunctionalInterface
  private interface Site<T extends TFloating> {
    Operand<T> build(GraphScope<T> s, Operand<T> x, Operand<TInt32> mask);
  }

  /** y and d sum(c y) / d (x, then each parameter in creation order). */
  private record Run(double[] y, List<double[]> grads, List<String> names) {}

  private static <T extends TFloating> Run run(Class<T> dtype, long[] xShape, double[] x, long[] yShape, double[] c,
      List<double[]> paramValues, Site<T> site) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Parameters<T> params = new Parameters<>(g, dtype, 0);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      Placeholder<T> xIn = tf.placeholder(dtype, Placeholder.shape(Shape.of(xShape)));
      Placeholder<TInt32> maskIn = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(B, N)));
      Placeholder<T> cIn = tf.placeholder(dtype, Placeholder.shape(Shape.of(yShape)));
      Operand<T> y = site.build(root.child("site"), xIn, maskIn);
      assertEquals(Shape.of(yShape), y.shape(), "static shape");
      Operand<T> loss = tf.sum(tf.math.mul(y, cIn), tf.range(tf.constant(0), tf.rank(y), tf.constant(1)));
      List<Output<?>> wrt = new ArrayList<>(List.of(xIn.asOutput()));
      List<String> names = new ArrayList<>(List.of("x"));
      params.list().forEach(p -> {
        wrt.add(p.value().asOutput());
        names.add(p.name());
      });
      Output<?>[] d = g.addGradients(loss.asOutput(), wrt.toArray(Output<?>[]::new));
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.of(dtype, xShape, x));
        fed.add(HostTensors.ints(new long[] {B, N}, MASK));
        fed.add(HostTensors.of(dtype, yShape, c));
        Session.Runner r = s.runner().feed(xIn, fed.get(0)).feed(maskIn, fed.get(1)).feed(cIn, fed.get(2));
        assertEquals(paramValues.size(), params.list().size(), "parameters");
        for (int i = 0; i < paramValues.size(); i++) {
          Parameter<T> p = params.list().get(i);
          fed.add(HostTensors.of(dtype, p.shape(), paramValues.get(i)));
          r.feed(p.value(), fed.get(fed.size() - 1));
        }
        List<Operand<?>> fetches = new ArrayList<>(List.of(y));
        fetches.addAll(List.of(d));
        List<double[]> out = GraphReadback.fetchDoubles(r, fetches);
        return new Run(out.get(0), out.subList(1, out.size()), names);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  /**
   * Checks the graph in both dtypes: values against {@code reference(x, params...)} and gradients
   * against its central differences.
   */
  private static void check(String what, long[] xShape, long[] yShape, List<double[]> params, Site<TFloat32> f32,
      Site<TFloat64> f64, java.util.function.Function<List<double[]>, double[]> reference) {
    Random rnd = new Random(what.hashCode());
    double[] x = normal(rnd, (int) Shape.of(xShape).size());
    double[] c = normal(rnd, (int) Shape.of(yShape).size());
    List<double[]> inputs = new ArrayList<>(List.of(x));
    inputs.addAll(params);
    double[] expected = reference.apply(inputs);
    for (boolean single : new boolean[] {true, false}) {
      Run run = single ? run(TFloat32.class, xShape, x, yShape, c, params, f32)
          : run(TFloat64.class, xShape, x, yShape, c, params, f64);
      double tol = single ? 2e-6 : 1e-12;
      String dt = what + (single ? " float32" : " float64");
      assertEquals(expected.length, run.y().length, dt + ": size");
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], run.y()[i], tol * Math.max(1, Math.abs(expected[i])), dt + " y[" + i + "]");
        assertTrue(Double.isFinite(run.y()[i]), dt + " y[" + i + "] finite");
      }
      List<double[]> values = new ArrayList<>();
      inputs.forEach(v -> values.add(v.clone()));
      ToDoubleFunction<List<double[]>> loss = v -> dot(reference.apply(v), c);
      FiniteDifferences.Worst worst = FiniteDifferences.compare(run.names(), values,
          run.grads().toArray(double[][]::new), 30, 1e-5, new Random(3), () -> loss.applyAsDouble(values));
      // float64: central differences at step 1e-5 of an O(1) loss carry ~1e-11 of rounding, against
      // gradients floored at 1e-3 of the largest; float32: the graph's own rounding
      double bound = single ? 1e-4 : 1e-6;
      assertTrue(worst.error() < bound, dt + ": relative error against central differences " + worst.error()
          + " at " + worst.where());
    }
  }

  @Test
  void meanPoolingAveragesTheRealTokensAndGivesZeroForAnEmptyRow() {
    check("mean", new long[] {B, N, D}, new long[] {B, D}, List.of(),
        (s, x, m) -> Pooling.mean(s, x, m), (s, x, m) -> Pooling.mean(s, x, m),
        in -> maskedMean(in.get(0)));
    // the empty row's values get no gradient, and its output is exactly 0
    double[] x = normal(new Random(1), B * N * D);
    Run run = run(TFloat32.class, new long[] {B, N, D}, x, new long[] {B, D}, normal(new Random(2), B * D),
        List.of(), (s, in, m) -> Pooling.mean(s, in, m));
    for (int j = 0; j < D; j++) {
      assertEquals(0.0, Math.abs(run.y()[2 * D + j]), "empty row's mean");
    }
    for (int i = 2 * N * D; i < 3 * N * D; i++) {
      assertEquals(0.0, Math.abs(run.grads().get(0)[i]), "empty row's gradient");
    }
  }

  @Test
  void clsPoolingTakesTokenZero() {
    check("cls", new long[] {B, N, D}, new long[] {B, D}, List.of(),
        (s, x, m) -> Pooling.cls(s, x), (s, x, m) -> Pooling.cls(s, x), in -> {
          double[] out = new double[B * D];
          for (int b = 0; b < B; b++) {
            System.arraycopy(in.get(0), b * N * D, out, b * D, D);
          }
          return out;
        });
  }

  @Test
  void classificationHeadWithAHiddenLayer() {
    int hidden = 6;
    int classes = 3;
    Random rnd = new Random(17);
    List<double[]> params = List.of(normal(rnd, hidden * D), normal(rnd, hidden), normal(rnd, classes * hidden),
        normal(rnd, classes));
    for (Activation act : Activation.values()) {
      check("classification " + act, new long[] {B, D}, new long[] {B, classes}, params,
          (s, x, m) -> new ClassificationHead<>(s, D, hidden, act, classes, Dropout.none()).apply(x),
          (s, x, m) -> new ClassificationHead<>(s, D, hidden, act, classes, null).apply(x),
          in -> linear(activate(act, linear(in.get(0), in.get(1), in.get(2), D, hidden)), in.get(3), in.get(4),
              hidden, classes));
    }
  }

  @Test
  void classificationHeadWithoutAHiddenLayerOverMeanPooling() {
    int classes = 2;
    Random rnd = new Random(19);
    List<double[]> params = List.of(normal(rnd, classes * D), normal(rnd, classes));
    check("mean + classification", new long[] {B, N, D}, new long[] {B, classes}, params,
        (s, x, m) -> new ClassificationHead<>(s, D, classes, Dropout.none()).apply(Pooling.mean(s, x, m)),
        (s, x, m) -> new ClassificationHead<>(s, D, classes, Dropout.none()).apply(Pooling.mean(s, x, m)),
        in -> linear(maskedMean(in.get(0)), in.get(1), in.get(2), D, classes));
  }

  @Test
  void regressionHeadGivesOneValuePerRowOrK() {
    Random rnd = new Random(23);
    List<double[]> one = List.of(normal(rnd, D), normal(rnd, 1));
    check("regression 1", new long[] {B, D}, new long[] {B}, one,
        (s, x, m) -> new RegressionHead<>(s, D, 1, Dropout.none()).apply(x),
        (s, x, m) -> new RegressionHead<>(s, D, 1, Dropout.none()).apply(x),
        in -> linear(in.get(0), in.get(1), in.get(2), D, 1));
    int hidden = 5;
    int k = 2;
    List<double[]> mlp = List.of(normal(rnd, hidden * D), normal(rnd, hidden), normal(rnd, k * hidden),
        normal(rnd, k));
    check("regression K", new long[] {B, D}, new long[] {B, k}, mlp,
        (s, x, m) -> new RegressionHead<>(s, D, hidden, Activation.TANH, k, Dropout.none()).apply(x),
        (s, x, m) -> new RegressionHead<>(s, D, hidden, Activation.TANH, k, Dropout.none()).apply(x),
        in -> linear(activate(Activation.TANH, linear(in.get(0), in.get(1), in.get(2), D, hidden)), in.get(3),
            in.get(4), hidden, k));
  }

  @Test
  void headsNameTheirParametersAsTheAuthorsSchead() {
    try (Graph g = new Graph()) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
      GraphScope<TFloat32> root = GraphScope.root(params);
      Placeholder<TFloat32> x = root.tf().placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, D)));
      new ClassificationHead<>(root.child("mlp"), D, 7, Activation.RELU, 2, null).apply(x);
      new RegressionHead<>(root.child("reg"), D, 1, null).apply(x);
      assertEquals(List.of("mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "reg.weight", "reg.bias"),
          params.list().stream().map(Parameter::name).toList());
    }
  }

  @Test
  void anActiveDropoutAtRateZeroIsTheIdentityAndIsOneSite() {
    int classes = 2;
    Random rnd = new Random(29);
    List<double[]> params = List.of(normal(rnd, classes * D), normal(rnd, classes));
    check("dropout rate 0", new long[] {B, D}, new long[] {B, classes}, params,
        (s, x, m) -> {
          Dropout d = Dropout.training(s.tf().constant(new long[] {4, 5}), s.tf().constant(0f));
          Operand<TFloat32> y = new ClassificationHead<>(s, D, classes, d).apply(x);
          assertEquals(1, d.sites(), "dropout sites");
          return y;
        },
        (s, x, m) -> new ClassificationHead<>(s, D, classes,
            Dropout.training(s.tf().constant(new long[] {4, 5}), s.tf().constant(0f))).apply(x),
        in -> linear(in.get(0), in.get(1), in.get(2), D, classes));
  }

  @Test
  void badConfigurationAndShapesSayWhatIsAllowed() {
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      Ops tf = root.tf();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new ClassificationHead<>(root.child("h"), D, 8, null, 2, null));
      assertEquals("ClassificationHead 'h': a hidden layer of 8 needs an activation (one of RELU, GELU, TANH)",
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> new RegressionHead<>(root.child("r"), D, 0, null));
      assertEquals("RegressionHead: out must be positive, got 0", e.getMessage());
      Placeholder<TFloat32> flat = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, D)));
      Placeholder<TInt32> mask = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, N)));
      e = assertThrows(IllegalArgumentException.class, () -> Pooling.mean(root, flat, mask));
      assertEquals("Pooling.mean: x has rank 2 (shape [-1, 4]), expected 3 (B, N, D)", e.getMessage());
    }
  }

  // --- plain-Java float64 references ---

  /** (B, N, D) with MASK -> (B, D). */
  private static double[] maskedMean(double[] x) {
    double[] out = new double[B * D];
    for (int b = 0; b < B; b++) {
      int count = 0;
      for (int n = 0; n < N; n++) {
        count += MASK[b * N + n];
      }
      for (int n = 0; n < N; n++) {
        for (int j = 0; j < D; j++) {
          out[b * D + j] += MASK[b * N + n] * x[(b * N + n) * D + j] / Math.max(count, 1);
        }
      }
    }
    return out;
  }

  /** (B, in) @ w[out, in]^T + bias -> (B, out). */
  private static double[] linear(double[] x, double[] w, double[] bias, int in, int out) {
    int rows = x.length / in;
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double v = bias[o];
        for (int i = 0; i < in; i++) {
          v += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = v;
      }
    }
    return y;
  }

  private static double[] activate(Activation act, double[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = switch (act) {
        case RELU -> Math.max(0, x[i]);
        case TANH -> Math.tanh(x[i]);
        case GELU -> x[i] * GeluTest.phi(x[i]);
      };
    }
    return y;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static double[] normal(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }
}
