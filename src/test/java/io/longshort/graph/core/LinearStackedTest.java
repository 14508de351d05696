package io.longshort.graph.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.GraphReadback;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;

/**
 * {@link Linear#applyStacked} in float64 against a plain-Java x W^T + b per layer, the layers'
 * outputs side by side in their column ranges, with biases and without; and its refusal of layers
 * of which some have a bias and some not.
 */
class LinearStackedTest {
  private static final long[] X_SHAPE = {2, 3, 4};
  private static final int[] OUTS = {3, 2};

  @Test
  void stackedEqualsEachLayerSideBySide() {
    check(true);
    check(false);
  }

  @Test
  void refusesMixedBiases() {
    try (Graph g = new Graph()) {
      GraphScope<TFloat64> root = GraphScope.root(new Parameters<>(g, TFloat64.class, 0));
      Linear<TFloat64> with = Linear.create(root.child("a"), 4, 3);
      Linear<TFloat64> without = Linear.createWithoutBias(root.child("b"), 4, 2);
      Placeholder<TFloat64> x = root.tf().placeholder(TFloat64.class, Placeholder.shape(Shape.of(X_SHAPE)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Linear.applyStacked(root, List.of(with, without), x));
      assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("without a bias"), e.getMessage());
    }
  }

  private static void check(boolean bias) {
    Random rnd = new Random(bias ? 3 : 4);
    int in = (int) X_SHAPE[2];
    int rows = (int) (X_SHAPE[0] * X_SHAPE[1]);
    double[] x = gaussian(rnd, rows * in);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Parameters<TFloat64> params = new Parameters<>(g, TFloat64.class, 0);
      GraphScope<TFloat64> root = GraphScope.root(params);
      List<Linear<TFloat64>> layers = new ArrayList<>();
      for (int i = 0; i < OUTS.length; i++) {
        GraphScope<TFloat64> ls = root.child("l" + i);
        layers.add(bias ? Linear.create(ls, in, OUTS[i]) : Linear.createWithoutBias(ls, in, OUTS[i]));
      }
      Placeholder<TFloat64> xIn = root.tf().placeholder(TFloat64.class, Placeholder.shape(Shape.of(X_SHAPE)));
      Operand<TFloat64> y = Linear.applyStacked(root, layers, xIn);
      int width = OUTS[0] + OUTS[1];
      assertEquals(Shape.of(X_SHAPE[0], X_SHAPE[1], width), y.shape(), "static shape");
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.of(TFloat64.class, X_SHAPE, x));
        Session.Runner r = s.runner().feed(xIn, fed.get(0));
        List<double[]> values = new ArrayList<>();
        for (Parameter<TFloat64> p : params.list()) {
          double[] v = gaussian(rnd, Math.toIntExact(Shape.of(p.shape()).size()));
          values.add(v);
          fed.add(HostTensors.of(TFloat64.class, p.shape(), v));
          r.feed(p.value(), fed.get(fed.size() - 1));
        }
        double[] got = GraphReadback.fetchDoubles(r, List.of(y)).get(0);
        // parameters in creation order: l0.weight, [l0.bias,] l1.weight, [l1.bias]
        int per = bias ? 2 : 1;
        for (int row = 0; row < rows; row++) {
          int col = 0;
          for (int i = 0; i < OUTS.length; i++) {
            double[] w = values.get(i * per);
            for (int o = 0; o < OUTS[i]; o++, col++) {
              double want = bias ? values.get(i * per + 1)[o] : 0;
              for (int j = 0; j < in; j++) {
                want += x[row * in + j] * w[o * in + j];
              }
              assertEquals(want, got[row * width + col], 1e-12, "row " + row + ", column " + col);
            }
          }
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static double[] gaussian(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }
}
