package io.longshort.graph.vision;

import io.longshort.graph.attention.GradientCheckTest;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.vision.ImageAttentionGraph;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.ImageAttentionSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;

/**
 * TF's symbolic gradients of 2-D attention (padding to windows, 2-D tiles, the bias-table gather,
 * global tokens, dynamic projection) against central finite differences in float64, for the input
 * and every parameter, on tiny grids whose sides are not multiples of w.
 */
class ImageAttentionGradientTest {
  @TestFactory
  Stream<DynamicTest> gradientsMatchFiniteDifferences() {
    return Stream.of(
        new Object[] {ImageAttentionSpec.longShort().setWidth(4).setHeads(2).setWindow(2).setRank(2)
            .optGlobalTokens(1).build(), 3, 3},
        new Object[] {ImageAttentionSpec.longShort().setWidth(4).setHeads(1).setWindow(3).setRank(1)
            .optGlobalTokens(2).build(), 4, 2},
        new Object[] {ImageAttentionSpec.full().setWidth(4).setHeads(2).optGlobalTokens(1).build(), 2, 3})
        .map(a -> DynamicTest.dynamicTest(a[0] + " grid " + a[1] + "x" + a[2],
            () -> check((ImageAttentionSpec) a[0], (int) a[1], (int) a[2])));
  }

  private static void check(ImageAttentionSpec spec, int gx, int gy) {
    int batch = 1;
    int n = spec.globalTokens() + gx * gy;
    Random rnd = new Random(spec.toJson().hashCode() + gx * 31 + gy);
    try (ImageAttentionGraph<TFloat64> g = ImageAttentionGraph.build(spec, TFloat64.class, batch, gx, gy, 7)) {
      Ops tf = Ops.create(g.graph()).withSubScope("check");
      double[] projection = randoms(rnd, batch * n * spec.width());
      Operand<TFloat64> p = tf.constant(org.tensorflow.ndarray.Shape.of(batch, n, spec.width()),
          org.tensorflow.ndarray.buffer.DataBuffers.of(projection, true, false));
      Operand<TFloat64> loss = tf.sum(tf.math.mul(g.y(), p), tf.constant(new int[] {0, 1, 2}));
      List<Operand<TFloat64>> wrt = new ArrayList<>();
      List<String> names = new ArrayList<>();
      List<long[]> shapes = new ArrayList<>();
      List<double[]> values = new ArrayList<>();
      wrt.add(g.x());
      names.add("x");
      shapes.add(new long[] {batch, n, spec.width()});
      values.add(randoms(rnd, batch * n * spec.width()));
      for (Parameter<TFloat64> param : g.parameters().list()) {
        wrt.add(param.value());
        names.add(param.name());
        shapes.add(param.shape());
        values.add(randoms(rnd, Math.toIntExact(param.size())));
      }
      Output<?>[] grads = g.graph().addGradients(loss.asOutput(),
          wrt.stream().map(Operand::asOutput).toArray(Output<?>[]::new));
      double[][] analytic = new double[wrt.size()][];
      List<Tensor> fed = feeds(wrt, shapes, values);
      try {
        var runner = g.session().runner();
        for (int i = 0; i < wrt.size(); i++) {
          runner.feed(wrt.get(i), fed.get(i));
        }
        for (Output<?> grad : grads) {
          runner.fetch(grad);
        }
        try (var result = runner.run()) {
          for (int i = 0; i < grads.length; i++) {
            analytic[i] = HostTensors.toDoubles(result.get(i));
          }
        }
      } finally {
        fed.forEach(Tensor::close);
      }
      for (int i = 0; i < wrt.size(); i++) {
        double scale = 0;
        double err = 0;
        for (int j = 0; j < values.get(i).length; j++) {
          double saved = values.get(i)[j];
          values.get(i)[j] = saved + GradientCheckTest.STEP;
          double plus = lossAt(g, loss, wrt, shapes, values);
          values.get(i)[j] = saved - GradientCheckTest.STEP;
          double minus = lossAt(g, loss, wrt, shapes, values);
          values.get(i)[j] = saved;
          double numeric = (plus - minus) / (2 * GradientCheckTest.STEP);
          assertTrue(Double.isFinite(analytic[i][j]), names.get(i) + "[" + j + "] gradient is " + analytic[i][j]);
          scale = Math.max(scale, Math.abs(numeric));
          err = Math.max(err, Math.abs(numeric - analytic[i][j]));
        }
        // exactly-zero gradients by invariance (e.g. to_dynamic_projection.bias shifts a softmax
        // over positions uniformly) are measured against ZERO_SCALE, as in GradientCheckTest
        double relative = err / Math.max(scale, GradientCheckTest.ZERO_SCALE);
        assertTrue(relative <= GradientCheckTest.MAX_RELATIVE_ERROR, "d loss / d " + names.get(i)
            + ": relative error " + relative + " (max abs diff " + err + ", scale " + scale + ")");
      }
    }
  }

  private static List<Tensor> feeds(List<Operand<TFloat64>> wrt, List<long[]> shapes, List<double[]> values) {
    List<Tensor> fed = new ArrayList<>();
    for (int i = 0; i < wrt.size(); i++) {
      fed.add(HostTensors.of(TFloat64.class, shapes.get(i), values.get(i)));
    }
    return fed;
  }

  private static double lossAt(ImageAttentionGraph<TFloat64> g, Operand<TFloat64> loss,
      List<Operand<TFloat64>> wrt, List<long[]> shapes, List<double[]> values) {
    List<Tensor> fed = feeds(wrt, shapes, values);
    try {
      var runner = g.session().runner();
      for (int i = 0; i < wrt.size(); i++) {
        runner.feed(wrt.get(i), fed.get(i));
      }
      try (var result = runner.fetch(loss).run()) {
        return HostTensors.toDoubles(result.get(0))[0];
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private static double[] randoms(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian() * 0.5;
    }
    return v;
  }
}
