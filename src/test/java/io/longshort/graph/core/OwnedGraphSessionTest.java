package io.longshort.graph.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;

/**
 * The session {@link OwnedGraph} opens does not fold a parameter's initializer into a constant: TF's
 * classic constant folding (OptimizerOptions L1) put every initial value in the initializer graph as a
 * Const, kept for the session's life beside the variable (bench/recompute/README.md, round 6).
 */
class OwnedGraphSessionTest {
  @Test
  void initializersRunFromTheirRandomDrawNotFromAFoldedConstant() {
    try (OwnedGraph g = new OwnedGraph() {}) {
      Parameters<TFloat32> params = new Parameters<>(g.graph(), TFloat32.class, 7);
      // 256 x 256 floats, 256 KiB: under the classic pass's 10 MiB limit, which folded it; Grappler's
      // constant folding, which the session keeps, leaves it (it folds such initializers up to 64 KiB)
      Parameter<TFloat32> w = params.getOrCreate("proj.weight", new long[] {256, 256}, Initializer.uniform(0.0625));
      RunOptions partitions = RunOptions.newBuilder().setOutputPartitionGraphs(true).build();
      try (Result r = g.session().runner().addTarget(w.initializer()).setOptions(partitions).runAndFetchMetadata()) {
        List<String> ops = new ArrayList<>();
        long largestConst = 0;
        for (GraphDef pg : r.getMetadata().orElseThrow().getPartitionGraphsList()) {
          for (NodeDef n : pg.getNodeList()) {
            ops.add(n.getOp());
            if (n.getOp().equals("Const")) {
              largestConst = Math.max(largestConst, n.getAttrOrThrow("value").getTensor().getSerializedSize());
            }
          }
        }
        assertTrue(ops.contains("StatelessRandomUniformV2") || ops.contains("StatelessRandomUniform"),
            "the initializer's random draw should run, not a folded constant; ops run: " + ops);
        assertTrue(largestConst < 1024, "a Const of " + largestConst + " bytes in the initializer graph: " + ops);
        assertEquals(1, ops.stream().filter(op -> op.equals("AssignVariableOp")).count(), ops.toString());
      }
    }
  }
}
