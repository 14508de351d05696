package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.TpuCompatibility.Issue;
import io.longshort.compile.TpuCompatibility.Kind;
import io.longshort.compile.TpuCompatibility.Report;
import io.longshort.graph.attention.Attention;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameters;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

class TpuCompatibilityTest {

  @TestFactory
  Stream<DynamicTest> staticAttentionGraphsPass() {
    return XlaFunctionTest.specs().map(spec -> DynamicTest.dynamicTest(spec.kind().jsonName(), () -> {
      try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, 2, 37, 0)) {
        Report r = TpuCompatibility.check(g.graph());
        assertTrue(r.ok(), r.toString());
        assertTrue(r.opsChecked() > 30, r.toString());
        assertTrue(TpuCompatibility.check(g.graph(), List.of(g.y())).ok());
      }
    }));
  }

  /** The same layer inside an XLA function: the function body is checked, and passes. */
  @Test
  void compiledAttentionGraphPasses() {
    var spec = XlaFunctionTest.specs().findFirst().orElseThrow();
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      var f = XlaFunctionTest.Feeds.of(root.tf(), spec);
      Operand<TFloat32> y = XlaAttention.apply(root.child("attention"), spec, f.x(), f.mask(), f.cls());
      Report r = TpuCompatibility.check(g, List.of(y));
      assertTrue(r.ok(), r.toString());
      assertTrue(r.opsChecked() > 100, "the body's nodes are counted: " + r);
    }
  }

  /** A batch left open (-1) is a dynamic shape, traced back to its feed. */
  @Test
  void openBatchIsFlagged() {
    var spec = XlaFunctionTest.specs().findFirst().orElseThrow();
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, -1, 37, 0)) {
      Report r = TpuCompatibility.check(g.graph());
      assertFalse(r.ok());
      assertTrue(r.opNames(Kind.DYNAMIC_SHAPE).containsAll(List.of("x", "mask", "cls_token", "y")), r.toString());
      Issue x = r.issues(Kind.DYNAMIC_SHAPE).stream().filter(i -> i.op().equals("x")).findFirst().orElseThrow();
      assertTrue(x.detail().contains("[-1, 37, 16]") && x.detail().contains("feed"), x.toString());
      assertTrue(r.issues(Kind.DYNAMIC_SHAPE).stream().anyMatch(i -> i.scope().startsWith("attention/")),
          "issues carry the layer's scope: " + r);
      assertTrue(r.issues(Kind.NO_XLA_KERNEL).isEmpty() && r.issues(Kind.HOST_ONLY).isEmpty(), r.toString());
    }
  }

  @Test
  void plantedProblemsAreFlaggedWithNamesAndScopes() {
    var spec = XlaFunctionTest.specs().findFirst().orElseThrow();
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      var f = XlaFunctionTest.Feeds.of(root.tf(), spec);
      GraphScope<TFloat32> layer = root.child("attention");
      Operand<TFloat32> y = Attention.apply(layer, spec, f.x(), f.mask(), f.cls());
      Ops tf = layer.tf().withSubScope("planted");
      // host-only: a string op and a print
      Operand<TString> text = tf.withName("to_text").dtypes.asString(y);
      tf.withName("show").print(tf.withName("message").constant("y computed"));
      // dynamic shapes: a feed of unknown length, Where on it, Unique on a static tensor
      Placeholder<TFloat32> open = root.tf().withName("tokens").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 4)));
      tf.withName("nonzero").where(tf.math.greater(open, tf.constant(0f)));
      tf.withName("distinct").unique(tf.reshape(y, tf.constant(new int[] {-1})), tf.constant(new int[] {0}));
      // not part of the computation: a string op in the init scope
      tf.withInitScope().withName("init_text").dtypes.asString(tf.withInitScope().constant(1f));

      Report r = TpuCompatibility.check(g);
      assertFalse(r.ok());
      assertTrue(r.opNames(Kind.HOST_ONLY).containsAll(List.of("attention/planted/to_text",
          "attention/planted/show", "attention/planted/message")), r.toString());
      assertTrue(r.opNames(Kind.NO_XLA_KERNEL).containsAll(List.of("attention/planted/to_text",
          "attention/planted/show")), r.toString());
      Issue asString = r.issues(Kind.NO_XLA_KERNEL).stream()
          .filter(i -> i.op().equals("attention/planted/to_text")).findFirst().orElseThrow();
      assertEquals("AsString", asString.type());
      assertEquals("attention/planted", asString.scope());
      assertTrue(asString.detail().contains(r.xlaDevice()), asString.toString());

      assertTrue(r.opNames(Kind.DYNAMIC_SHAPE).containsAll(List.of("tokens", "attention/planted/nonzero",
          "attention/planted/distinct")), r.toString());
      Issue unique = r.issues(Kind.DYNAMIC_SHAPE).stream()
          .filter(i -> i.op().equals("attention/planted/distinct")).findFirst().orElseThrow();
      assertTrue(unique.detail().contains("all inputs are static"), unique.toString());

      assertTrue(r.issues().stream().noneMatch(i -> i.op().contains("init_text")),
          "init-scope ops are not part of the computation: " + r);
      assertTrue(r.issues().stream().noneMatch(i -> i.op().startsWith("attention/") && !i.op().contains("planted")),
          "the layer itself is clean: " + r);

      // restricted to what y needs, nothing planted is left
      Report onlyY = TpuCompatibility.check(g, List.of(y));
      assertTrue(onlyY.ok(), onlyY.toString());
      // and what the string op needs is flagged
      assertEquals(List.of("attention/planted/to_text"),
          List.copyOf(TpuCompatibility.check(g, List.of(text)).opNames(Kind.HOST_ONLY)));
    }
  }

  /** A string op inside an XLA function body is found, named by the call and the node. */
  @Test
  void plantedStringOpInsideAFunctionIsFlagged() {
    try (Graph g = new Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
      Operand<TFloat32> v = root.tf().withName("v").placeholder(TFloat32.class, Placeholder.shape(Shape.of(3)));
      XlaFunction.Call call = XlaFunction.mustCompile(root.child("layer"), "with_text", List.of(v),
          (s, args) -> {
            Operand<TInt32> len = s.tf().strings.stringLength(
                s.tf().withName("text").dtypes.asString(args.get(0, TFloat32.class)));
            return List.of(s.tf().math.add(args.get(0, TFloat32.class), s.tf().dtypes.cast(len, TFloat32.class)));
          });
      Report r = TpuCompatibility.check(g, call.outputs());
      String node = "layer/with_text/layer/text";
      assertTrue(r.opNames(Kind.NO_XLA_KERNEL).contains(node), r.toString());
      assertTrue(r.opNames(Kind.HOST_ONLY).contains(node), r.toString());
      Issue i = r.issues(Kind.NO_XLA_KERNEL).stream().filter(x -> x.op().equals(node)).findFirst().orElseThrow();
      assertEquals("layer", i.scope());
      assertTrue(i.detail().contains(call.functionName()), i.toString());
    }
  }

  @Test
  void kernelRegistryKnowsTypesPerOp() {
    XlaKernels k = XlaKernels.load();
    assertTrue(k.device().startsWith("XLA_") && k.device().endsWith("_JIT"), k.device());
    assertTrue(k.opCount() > 300, "tf2xla compiles hundreds of op types: " + k.opCount());
    AttrValue f32 = AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
    AttrValue str = AttrValue.newBuilder().setType(DataType.DT_STRING).build();
    assertNull(k.unsupported("MatMul", n -> n.equals("T") ? f32 : null));
    assertNotNull(k.unsupported("MatMul", n -> n.equals("T") ? str : null));
    assertNotNull(k.unsupported("AsString", n -> null));
    assertNotNull(k.unsupported("PrintV2", n -> null));
    assertTrue(k.hasKernel("Softmax") && k.hasKernel("BatchMatMulV2") && !k.hasKernel("AsString"));
  }
}
