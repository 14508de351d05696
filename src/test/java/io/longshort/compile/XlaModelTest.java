package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.GraphStats;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.GraphOperation;
import org.tensorflow.types.TFloat32;

/**
 * Every shipped model config, compiled by XLA (one must-compile function for the forward pass)
 * and plain, with the same seeded weights: logits within 1e-5, and the compiled graph's forward
 * pass is one StatefulPartitionedCall with _XlaMustCompile, and passes the TPU check.
 */
class XlaModelTest {
  /**
   * Shorter than the configs' 2048-4096: compile time grows with the length, and the 30-layer
   * models at this length already take most of this class's 86-103 s on 2 cores.
   */
  static final int LENGTH = 96;
  static final int BATCH = 2;

  @TestFactory
  Stream<DynamicTest> compiledAndPlainAgree() {
    return ModelConfigs.SHIPPED.stream().map(name -> DynamicTest.dynamicTest(name, () -> check(name)));
  }

  private static void check(String name) throws Exception {
    ModelSpec spec = ModelConfigs.load(name);
    Map<String, int[]> inputs = new LinkedHashMap<>();
    Random rnd = new Random(1);
    for (String in : ModelGraph.inputNames(spec)) {
      int[] v = new int[BATCH * LENGTH];
      for (int i = 0; i < v.length; i++) {
        boolean padded = i >= LENGTH && i % LENGTH >= LENGTH * 2 / 3;
        v[i] = in.startsWith("mask") ? (padded ? 0 : 1) : 1 + rnd.nextInt(spec.vocabSize() - 2);
      }
      inputs.put(in, v);
    }
    double[] plain;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(BATCH).setLength(LENGTH).optSeed(3).build()) {
      plain = g.logits(BATCH, inputs);
    }
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(BATCH).setLength(LENGTH).optSeed(3).optExecution(Xla.MUST_COMPILE).build()) {
      GraphOperation call = g.graph().operation("forward");
      assertEquals(XlaFunction.CALL_OP, call.type(), name + ": the forward pass is one function call");
      assertTrue(call.attributes().getAttrBool(XlaFunction.MUST_COMPILE_ATTR), name + ": must compile");
      TpuCompatibility.Report report = TpuCompatibility.check(g.graph());
      assertTrue(report.issues().isEmpty(), name + ": " + report);
      double[] compiled = g.logits(BATCH, inputs);
      double err = 0;
      for (int i = 0; i < plain.length; i++) {
        err = Math.max(err, Math.abs(plain[i] - compiled[i]));
      }
      assertTrue(err <= 1e-5, name + ": max |plain - xla| = " + err + " (" + GraphStats.of(g.graph()).operations() + " ops)");
    }
  }
}
