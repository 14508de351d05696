package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.attention.Attention;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * XLA must-compile calls: same results as the plain graph, proof that XLA (and not TensorFlow's
 * op-by-op executor) ran the function, and a loud failure for an op XLA cannot compile.
 */
class XlaFunctionTest {
  static final double TOLERANCE = 1e-5;
  static final int BATCH = 2;
  static final int N = 37; // not a multiple of any window or segment below: padding inside

  static Stream<AttentionSpec> specs() {
    return Stream.of(
        AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4).setRank(5)
            .optGlobalToken(GlobalToken.INPUT).build(),
        AttentionSpec.causalLongShort().setWidth(16).setHeads(2).setWindow(6).setSegment(4)
            .setRank(2).build(),
        AttentionSpec.full().setWidth(16).setHeads(2).build(),
        AttentionSpec.linformer().setWidth(16).setHeads(2).setRank(6).optMaxLength(40).optConvKernel(3).build(),
        AttentionSpec.nystrom().setWidth(16).setHeads(2).setLandmarks(4).optConvKernel(5).build(),
        AttentionSpec.nystrom().setWidth(16).setHeads(2).setLandmarks(5)
            .optInverseStart(io.longshort.spec.PseudoInverseStart.ROW).build(),
        AttentionSpec.performer().setWidth(16).setHeads(2).setFeatures(24).build(),
        AttentionSpec.performer().setWidth(16).setHeads(2).setFeatures(24)
            .optFeatureMap(io.longshort.spec.FeatureMap.SOFTMAX).build(),
        AttentionSpec.longformer().setWidth(16).setHeads(2).setWindow(6).optGlobalTokens(2).build(),
        AttentionSpec.bigBird().setWidth(16).setHeads(2).setBlockSize(4).optRandomBlocks(2).build());
  }

  /** Inputs of one layer: x (B, N, D), a mask with padding at the end of row 1, the CLS token. */
  record Inputs(double[] x, double[] mask, double[] cls) {
    static Inputs random(AttentionSpec spec, long seed) {
      Random rnd = new Random(seed);
      int d = spec.width();
      double[] x = new double[BATCH * N * d];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextGaussian();
      }
      double[] mask = new double[BATCH * N];
      for (int b = 0; b < BATCH; b++) {
        for (int t = 0; t < N; t++) {
          mask[b * N + t] = b == 1 && t >= N - 9 ? 0 : 1;
        }
      }
      double[] cls = new double[BATCH * d];
      for (int i = 0; i < cls.length; i++) {
        cls[i] = rnd.nextGaussian();
      }
      return new Inputs(x, mask, cls);
    }
  }

  /** Placeholders of one layer's inputs in a graph. */
  record Feeds(Placeholder<TFloat32> x, Placeholder<TFloat32> mask, Placeholder<TFloat32> cls) {
    static Feeds of(Ops tf, AttentionSpec spec) {
      int d = spec.width();
      return new Feeds(
          tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(BATCH, N, d))),
          tf.withName("mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(BATCH, N))),
          spec.globalToken() == GlobalToken.INPUT
              ? tf.withName("cls_token").placeholder(TFloat32.class, Placeholder.shape(Shape.of(BATCH, 1, d)))
              : null);
    }

    /** Runs {@code fetches} with the inputs fed; returns each fetch as doubles. */
    List<double[]> run(Session s, AttentionSpec spec, Inputs in, List<? extends Operand<?>> fetches) {
      int d = spec.width();
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, N, d}, in.x()));
        fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, N}, in.mask()));
        Session.Runner r = s.runner().feed(x, fed.get(0)).feed(mask, fed.get(1));
        if (cls != null) {
          fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, 1, d}, in.cls()));
          r.feed(cls, fed.get(2));
        }
        return io.longshort.reference.GraphReadback.fetchDoubles(r, fetches);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @TestFactory
  Stream<DynamicTest> compiledLayerMatchesPlainLayerWithSharedWeights() {
    return specs().map(spec -> DynamicTest.dynamicTest(spec.kind().jsonName(), () -> {
      Inputs in = Inputs.random(spec, 11);
      try (Graph g = new Graph()) {
        Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 5);
        GraphScope<TFloat32> root = GraphScope.root(params);
        Feeds f = Feeds.of(root.tf(), spec);
        Operand<TFloat32> plain = Attention.apply(root.child("attention"), spec, f.x(), f.mask(), f.cls());
        List<String> names = List.copyOf(params.asMap().keySet());
        XlaFunction.Call call = XlaAttention.call(root.child("attention"), spec, f.x(), f.mask(), f.cls(), true);
        Operand<TFloat32> compiled = call.output(0, TFloat32.class);

        assertEquals(names, List.copyOf(params.asMap().keySet()), "the XLA layer adds no variables");
        assertEquals(names, call.parameters(), "the XLA layer reads every variable of the plain one");
        assertEquals(plain.shape(), compiled.shape());
        assertTrue(call.op().attributes().getAttrBool(XlaFunction.MUST_COMPILE_ATTR));
        try (Session s = new Session(g)) {
          s.initialize();
          List<double[]> out = f.run(s, spec, in, List.of(plain, compiled));
          assertClose(out.get(0), out.get(1));
        }
      }
    }));
  }

  /** The XLA layer alone creates its variables with the same initial values as a plain build. */
  @Test
  void compiledLayerAloneStartsFromThePlainWeights() {
    AttentionSpec spec = specs().findFirst().orElseThrow();
    Inputs in = Inputs.random(spec, 12);
    double[] expected;
    try (AttentionGraph<TFloat32> plain = AttentionGraph.build(spec, TFloat32.class, BATCH, N, 9)) {
      expected = plain.run(BATCH, in.x(), in.mask(), in.cls());
    }
    try (Graph g = new Graph()) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 9);
      GraphScope<TFloat32> root = GraphScope.root(params);
      Feeds f = Feeds.of(root.tf(), spec);
      Operand<TFloat32> y = XlaAttention.apply(root.child("attention"), spec, f.x(), f.mask(), f.cls());
      assertEquals(14, params.list().size());
      params.list().forEach(p -> assertTrue(p.initializer() != null, p.name() + " has an initializer"));
      try (Session s = new Session(g)) {
        s.initialize();
        assertClose(expected, f.run(s, spec, in, List.of(y)).get(0));
      }
    }
  }

  /**
   * Proof that XLA runs the function: traced, the must-compile call executes as one kernel and none
   * of the body's ops runs as a TensorFlow kernel, while the same call without the attribute is
   * inlined and runs the body's ops one by one.
   */
  @Test
  void mustCompileRunsTheBodyAsOneXlaKernel() {
    AttentionSpec spec = specs().findFirst().orElseThrow();
    Inputs in = Inputs.random(spec, 13);
    List<String> compiled = executedNodes(spec, in, true);
    List<String> plain = executedNodes(spec, in, false);
    String call = "attention/attention_xla";
    assertTrue(compiled.contains(call), "the call op ran: " + compiled);
    assertTrue(compiled.stream().noneMatch(n -> n.startsWith(call + "/")),
        "no op of the body ran as a TF kernel: " + compiled);
    assertTrue(plain.stream().filter(n -> n.startsWith(call + "/")).count() > 50,
        "without _XlaMustCompile the body runs op by op: " + plain);
  }

  private static List<String> executedNodes(AttentionSpec spec, Inputs in, boolean mustCompile) {
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 1));
      Feeds f = Feeds.of(root.tf(), spec);
      Operand<TFloat32> y = XlaAttention.call(root.child("attention"), spec, f.x(), f.mask(), f.cls(),
          mustCompile).output(0, TFloat32.class);
      try (Session s = new Session(g)) {
        s.initialize();
        f.run(s, spec, in, List.of(y)); // compile outside the trace
        List<Tensor> fed = new ArrayList<>();
        try {
          fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, N, spec.width()}, in.x()));
          fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, N}, in.mask()));
          fed.add(HostTensors.of(TFloat32.class, new long[] {BATCH, 1, spec.width()}, in.cls()));
          RunOptions trace = RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
          try (Result r = s.runner().feed(f.x(), fed.get(0)).feed(f.mask(), fed.get(1))
              .feed(f.cls(), fed.get(2)).fetch(y).setOptions(trace).runAndFetchMetadata()) {
            List<String> nodes = new ArrayList<>();
            for (DeviceStepStats d : r.getMetadata().orElseThrow().getStepStats().getDevStatsList()) {
              for (NodeExecStats n : d.getNodeStatsList()) {
                nodes.add(n.getNodeName());
              }
            }
            return nodes;
          }
        } finally {
          fed.forEach(Tensor::close);
        }
      }
    }
  }

  /**
   * XLA's semantics are in force inside the function: an out-of-range Gather index is clamped by
   * XLA, while TensorFlow's own kernel rejects it.
   */
  @Test
  void outOfRangeGatherIsClampedOnlyUnderXla() {
    for (boolean xla : new boolean[] {true, false}) {
      try (Graph g = new Graph()) {
        GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
        Operand<TFloat32> v = root.tf().withName("v").placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(3)));
        Operand<TFloat32> y = XlaFunction.build(root, "gather", List.of(v), (s, args) -> List.of(
            s.tf().gather(args.get(0, TFloat32.class), s.tf().constant(new int[] {1, 7}),
                s.tf().constant(0))), xla).output(0, TFloat32.class);
        try (Session s = new Session(g); TFloat32 vt = TFloat32.vectorOf(10f, 20f, 30f)) {
          if (xla) {
            try (Result r = s.runner().feed(v, vt).fetch(y).run()) {
              TFloat32 t = (TFloat32) r.get(0);
              assertEquals(20f, t.getFloat(0));
              assertEquals(30f, t.getFloat(1), "XLA clamps index 7 to the last row");
            }
          } else {
            Exception e = assertThrows(TFInvalidArgumentException.class,
                () -> s.runner().feed(v, vt).fetch(y).run().close());
            assertTrue(e.getMessage().contains("indices[1] = 7 is not in [0, 3)"), e.getMessage());
          }
        }
      }
    }
  }

  /** An op without XLA kernel inside a must-compile function fails the run, naming the op. */
  @Test
  void nonCompilableOpInsideTheFunctionFailsTheRun() {
    AttentionSpec spec = specs().findFirst().orElseThrow();
    Inputs in = Inputs.random(spec, 14);
    for (boolean xla : new boolean[] {true, false}) {
      try (Graph g = new Graph()) {
        GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 2));
        Feeds f = Feeds.of(root.tf(), spec);
        XlaFunction.Call call = XlaFunction.build(root.child("attention"), "with_string_op",
            List.of(f.x(), f.mask(), f.cls()), (s, args) -> {
              Operand<TFloat32> y = Attention.apply(s, spec, args.get(0, TFloat32.class),
                  args.get(1, TFloat32.class), args.get(2, TFloat32.class));
              Ops tf = s.tf().withSubScope("debug");
              Operand<TString> text = tf.dtypes.asString(y); // host-only: no XLA kernel
              Operand<TInt32> len = tf.strings.stringLength(text);
              return List.of(tf.math.add(y, tf.math.mul(tf.dtypes.cast(len, TFloat32.class),
                  tf.constant(0f))));
            }, xla);
        try (Session s = new Session(g)) {
          s.initialize();
          List<? extends Operand<?>> fetch = List.of(call.output(0, TFloat32.class));
          if (xla) {
            Exception e = assertThrows(TFInvalidArgumentException.class, () -> f.run(s, spec, in, fetch));
            String m = e.getMessage();
            assertTrue(m.contains("Detected unsupported operations when trying to compile graph"), m);
            assertTrue(m.contains("XLA_CPU_JIT"), m);
            assertTrue(m.contains("AsString"), m);
            assertTrue(m.contains("attention/debug/AsString"), "the message names the op: " + m);
          } else {
            assertEquals(BATCH * (N + 1) * spec.width(), f.run(s, spec, in, fetch).get(0).length,
                "the same function runs without XLA");
          }
        }
      }
    }
  }

  @Test
  void badArgumentsAreRejectedWhileBuilding() {
    try (Graph g = new Graph(); Graph other = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      Operand<TFloat32> foreign = Ops.create(other).constant(1f);
      Exception e = assertThrows(IllegalArgumentException.class,
          () -> XlaFunction.mustCompile(root, "f", List.of(foreign), (s, a) -> List.of(a.get(0))));
      assertTrue(e.getMessage().contains("not in the scope's graph"), e.getMessage());
      Operand<TFloat32> c = root.tf().constant(1f);
      e = assertThrows(IllegalArgumentException.class,
          () -> XlaFunction.mustCompile(root, "f", List.of(c), (s, a) -> List.of(c)));
      assertTrue(e.getMessage().contains("was not built in the function graph"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> XlaFunction.mustCompile(root, "bad name", List.of(c), (s, a) -> List.of(a.get(0))));
      assertTrue(e.getMessage().contains("function name"), e.getMessage());
      assertNull(g.operation("f"));
    }
  }

  static void assertClose(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length, "lengths");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(expected[i] - actual[i]);
      if (!(diff <= worst)) {
        worst = diff;
        at = i;
      }
    }
    assertTrue(worst <= TOLERANCE, "max abs difference " + worst + " at " + at);
  }
}
