package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.vision.ImageAttention;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.ImageAttentionSpec;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * 2-D attention compiles under XLA (must-compile call: static shapes, padding, 2-D tiles and the
 * bias-table gather with a constant index) and gives the plain graph's result with the same weights.
 */
class XlaImageAttentionTest {
  @TestFactory
  Stream<DynamicTest> compiledImageAttentionMatchesPlain() {
    return Stream.of(
        ImageAttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(3).setRank(4).optGlobalTokens(1).build(),
        ImageAttentionSpec.full().setWidth(16).setHeads(2).optGlobalTokens(1).build())
        .map(spec -> DynamicTest.dynamicTest(spec.kind().jsonName(), () -> check(spec, 5, 7)));
  }

  private static void check(ImageAttentionSpec spec, int gx, int gy) {
    int rows = spec.globalTokens() + gx * gy;
    double[] x = new double[2 * rows * spec.width()];
    Random rnd = new Random(3);
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextGaussian();
    }
    try (Graph g = new Graph()) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 5);
      GraphScope<TFloat32> root = GraphScope.root(params);
      Placeholder<TFloat32> in = root.tf().withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(2, rows, spec.width())));
      Operand<TFloat32> plain = ImageAttention.apply(root.child("attention"), spec, in, gx, gy);
      int variables = params.list().size();
      XlaFunction.Call call = XlaFunction.mustCompile(root.child("attention"), "image_attention_xla", List.of(in),
          (scope, args) -> List.of(ImageAttention.apply(scope, spec, args.get(0, TFloat32.class), gx, gy)));
      assertEquals(variables, params.list().size(), "the compiled layer shares the plain layer's variables");
      assertTrue(call.mustCompile());
      try (Session s = new Session(g);
          Tensor xt = HostTensors.of(TFloat32.class, new long[] {2, rows, spec.width()}, x)) {
        s.initialize();
        try (Result r = s.runner().feed(in, xt).fetch(plain).fetch(call.output(0, TFloat32.class)).run()) {
          double[] a = HostTensors.toDoubles(r.get(0));
          double[] b = HostTensors.toDoubles(r.get(1));
          double max = 0;
          for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
          }
          assertTrue(max < 1e-5, spec.kind().jsonName() + ": max |XLA - plain| = " + max);
        }
      }
    }
  }
}
