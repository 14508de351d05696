package io.longshort.graph.attention;

import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
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
 * TF's symbolic gradients of every attention kind against central finite differences in float64,
 * for the inputs and every parameter, with padding in the mask.
 */
public class GradientCheckTest {
  /**
   * Central differences: truncation error ~ STEP^2 (1e-10 relative), round-off ~ 1e-16 |loss| /
   * STEP. 1e-5 balances the two; at 1e-6 round-off alone reached 1.3e-9 on exactly-zero gradients.
   */
  public static final double STEP = 1e-5;
  public static final double MAX_RELATIVE_ERROR = 1e-3;
  public static final double ZERO_SCALE = 1e-6;

  @TestFactory
  Stream<DynamicTest> gradientsMatchFiniteDifferences() {
    return Stream.of(
        AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(3).setRank(2).build(),
        AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(4).setRank(2)
            .optGlobalToken(GlobalToken.INPUT).build(),
        // R + G below a quarter of the W + 2E window keys: the global slots are copied into the window
        // tiles (the two cases above give them products of their own)
        AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(6).setRank(1).build(),
        AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(6).setRank(1)
            .optGlobalToken(GlobalToken.INPUT).build(),
        AttentionSpec.longShort().setWidth(6).setHeads(3).setWindow(2).setRank(0)
            .optGlobalToken(GlobalToken.FIRST_ROW).build(),
        AttentionSpec.longShort().setWidth(6).setHeads(2).setWindow(0).setRank(3).build(),
        AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(3).setSegment(2).setRank(1).build(),
        AttentionSpec.causalLongShort().setWidth(6).setHeads(1).setWindow(2).setSegment(3).setRank(0).build(),
        AttentionSpec.full().setWidth(6).setHeads(2).build(),
        AttentionSpec.causalFull().setWidth(6).setHeads(3).build(),
        AttentionSpec.linformer().setWidth(6).setHeads(2).setRank(3).optMaxLength(9).build(),
        AttentionSpec.linformer().setWidth(6).setHeads(2).setRank(4).optConvKernel(3).build(),
        AttentionSpec.nystrom().setWidth(6).setHeads(2).setLandmarks(3).optConvKernel(3).build(),
        AttentionSpec.nystrom().setWidth(6).setHeads(3).setLandmarks(2)
            .optInverseStart(io.longshort.spec.PseudoInverseStart.ROW).build(),
        AttentionSpec.performer().setWidth(6).setHeads(2).setFeatures(5).build(),
        AttentionSpec.performer().setWidth(6).setHeads(2).setFeatures(7)
            .optFeatureMap(io.longshort.spec.FeatureMap.SOFTMAX).build(),
        AttentionSpec.longformer().setWidth(6).setHeads(2).setWindow(4).optGlobalTokens(2).build(),
        AttentionSpec.longformer().setWidth(6).setHeads(3).setWindow(2).build(),
        AttentionSpec.bigBird().setWidth(6).setHeads(2).setBlockSize(1).optRandomBlocks(2).build())
        .map(spec -> DynamicTest.dynamicTest(spec.kind().jsonName() + " w=" + spec.window() + " r="
            + spec.rank() + " l=" + spec.segment() + " m=" + spec.landmarks() + " c=" + spec.convKernel() + " f=" + spec.features() + " g=" + spec.globalTokens() + " block=" + spec.blockSize()
            + " token=" + spec.globalToken().jsonName(),
            () -> check(spec)));
  }

  private static void check(AttentionSpec spec) {
    int batch = 2;
    int n = 7;
    // seeded from the JSON: AttentionSpec.hashCode() hashes enums by identity, which changes
    // with what the JVM ran before (e.g. which other test classes are in the suite)
    Random rnd = new Random(spec.toJson().hashCode());
    try (AttentionGraph<TFloat64> g = AttentionGraph.build(spec, TFloat64.class, batch, n, 3)) {
      Ops tf = Ops.create(g.graph()).withSubScope("check");
      int outRows = spec.outputLength(n);
      // loss = sum(y * P) with a fixed random P, so every output element matters
      double[] projection = randoms(rnd, batch * outRows * spec.width());
      Operand<TFloat64> p = tf.constant(org.tensorflow.ndarray.Shape.of(batch, outRows, spec.width()),
          org.tensorflow.ndarray.buffer.DataBuffers.of(projection, true, false));
      Operand<TFloat64> loss = tf.sum(tf.math.mul(g.y(), p), tf.constant(new int[] {0, 1, 2}));

      // the tensors we differentiate with respect to, and their current values
      List<Operand<TFloat64>> wrt = new ArrayList<>();
      List<String> names = new ArrayList<>();
      List<long[]> shapes = new ArrayList<>();
      List<double[]> values = new ArrayList<>();
      wrt.add(g.x());
      names.add("x");
      shapes.add(new long[] {batch, n, spec.width()});
      values.add(randoms(rnd, batch * n * spec.width()));
      double[] mask = new double[batch * n];
      java.util.Arrays.fill(mask, 1.0);
      mask[n - 1] = 0; // padding at the end of row 0
      mask[n - 2] = 0;
      mask[n + 2] = 0; // and a hole in row 1
      if (g.cls() != null) {
        wrt.add(g.cls());
        names.add("cls_token");
        shapes.add(new long[] {batch, 1, spec.width()});
        values.add(randoms(rnd, batch * spec.width()));
      }
      for (Parameter<TFloat64> param : g.parameters().list()) {
        wrt.add(param.value());
        names.add(param.name());
        shapes.add(param.shape());
        values.add(randoms(rnd, Math.toIntExact(param.size())));
      }
      Output<?>[] xs = wrt.stream().map(Operand::asOutput).toArray(Output<?>[]::new);
      Output<?>[] grads = g.graph().addGradients(loss.asOutput(), xs);

      double[][] analytic = new double[wrt.size()][];
      try (Feeds feeds = new Feeds(g, wrt, shapes, values, mask)) {
        var runner = feeds.runner();
        for (Output<?> grad : grads) {
          runner.fetch(grad);
        }
        try (var result = runner.run()) {
          for (int i = 0; i < grads.length; i++) {
            analytic[i] = HostTensors.toDoubles(result.get(i));
          }
        }
      }
      for (int i = 0; i < wrt.size(); i++) {
        double[] numeric = new double[values.get(i).length];
        for (int j = 0; j < numeric.length; j++) {
          double saved = values.get(i)[j];
          values.get(i)[j] = saved + STEP;
          double plus = lossAt(g, loss, wrt, shapes, values, mask);
          values.get(i)[j] = saved - STEP;
          double minus = lossAt(g, loss, wrt, shapes, values, mask);
          values.get(i)[j] = saved;
          numeric[j] = (plus - minus) / (2 * STEP);
        }
        double scale = 0;
        double err = 0;
        for (int j = 0; j < numeric.length; j++) {
          assertTrue(Double.isFinite(analytic[i][j]), names.get(i) + "[" + j + "] gradient is " + analytic[i][j]);
          scale = Math.max(scale, Math.abs(numeric[j]));
          err = Math.max(err, Math.abs(numeric[j] - analytic[i][j]));
        }
        // Some gradients are exactly zero by invariance (dconv_fc.bias shifts all scores of a
        // softmax over positions alike, as W_k.bias does a query's logits in full attention):
        // there the differences are round-off (~1e-10), so below ZERO_SCALE the error is
        // measured against ZERO_SCALE instead of against noise.
        double relative = err / Math.max(scale, ZERO_SCALE);
        assertTrue(relative <= MAX_RELATIVE_ERROR, spec.kind() + " d loss / d " + names.get(i)
            + ": relative error " + relative + " (max abs diff " + err + ", scale " + scale + ")");
      }
    }
  }

  private static double lossAt(AttentionGraph<TFloat64> g, Operand<TFloat64> loss,
      List<Operand<TFloat64>> wrt, List<long[]> shapes, List<double[]> values, double[] mask) {
    try (Feeds feeds = new Feeds(g, wrt, shapes, values, mask);
        var result = feeds.runner().fetch(loss).run()) {
      return HostTensors.toDoubles(result.get(0))[0];
    }
  }

  /** Feeds x, the mask, the CLS token and every parameter's read value (overriding the variables). */
  private static final class Feeds implements AutoCloseable {
    private final List<Tensor> tensors = new ArrayList<>();
    private final org.tensorflow.Session.Runner runner;

    Feeds(AttentionGraph<TFloat64> g, List<Operand<TFloat64>> wrt, List<long[]> shapes,
        List<double[]> values, double[] mask) {
      runner = g.session().runner();
      Tensor m = HostTensors.of(TFloat64.class, g.mask().shape().asArray(), mask);
      tensors.add(m);
      runner.feed(g.mask(), m);
      for (int i = 0; i < wrt.size(); i++) {
        Tensor t = HostTensors.of(TFloat64.class, shapes.get(i), values.get(i));
        tensors.add(t);
        runner.feed(wrt.get(i), t);
      }
    }

    org.tensorflow.Session.Runner runner() {
      return runner;
    }

    @Override
    public void close() {
      tensors.forEach(Tensor::close);
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
