package io.longshort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.longshort.graph.attention.AttentionGraph;
import io.longshort.spec.AttentionSpec;
import java.util.Iterator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;

/**
 * The analytic FLOP count against the matrix products the built graph really holds: every MatMul
 * and BatchMatMul's static shapes, 2 per multiply-add.
 */
class FlopsTest {
  @ParameterizedTest
  @CsvSource({
      "long_short, 2, 64, 32, 2, 8, 3",
      "long_short, 1, 100, 16, 4, 16, 2",
      "long_short, 3, 40, 24, 2, 5, 0",
      "full, 2, 64, 32, 2, 0, 0",
      "full, 1, 33, 16, 4, 0, 0"})
  void countMatchesTheGraphsMatrixProducts(String kind, int batch, int n, int width, int heads, int window, int rank) {
    AttentionSpec spec = kind.equals("full")
        ? AttentionSpec.full().setWidth(width).setHeads(heads).build()
        : AttentionSpec.longShort().setWidth(width).setHeads(heads).setWindow(window).setRank(rank).build();
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, batch, n, 0)) {
      double counted = 0;
      for (Iterator<GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("MatMul") || op.type().startsWith("BatchMatMul") || op.type().equals("Einsum")) {
          counted += matmulFlops(op);
        }
      }
      assertEquals(counted, Flops.forward(spec, batch, n), 1e-9 * counted, kind + " FLOPs");
    }
  }

  /** The baseline kinds, as JSON specs. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "{'kind': 'linformer', 'width': 16, 'heads': 2, 'rank': 5}",
      "{'kind': 'linformer', 'width': 16, 'heads': 2, 'rank': 7, 'maxLength': 40, 'convKernel': 3}",
      "{'kind': 'nystrom', 'width': 16, 'heads': 2, 'landmarks': 4}",
      "{'kind': 'nystrom', 'width': 24, 'heads': 3, 'landmarks': 5, 'convKernel': 3}",
      "{'kind': 'nystrom', 'width': 16, 'heads': 2, 'landmarks': 40}",
      "{'kind': 'performer', 'width': 16, 'heads': 2, 'features': 9}",
      "{'kind': 'performer', 'width': 16, 'heads': 4, 'features': 12, 'featureMap': 'softmax'}",
      "{'kind': 'longformer', 'width': 16, 'heads': 2, 'window': 6}",
      "{'kind': 'longformer', 'width': 16, 'heads': 2, 'window': 8, 'globalTokens': 3}",
      "{'kind': 'bigbird', 'width': 16, 'heads': 2, 'blockSize': 4, 'randomBlocks': 2}",
      "{'kind': 'bigbird', 'width': 16, 'heads': 4, 'blockSize': 5, 'randomBlocks': 1}"})
  void baselineCountsMatchTheGraphsMatrixProducts(String json) {
    AttentionSpec spec = AttentionSpec.parseJson(json.replace('\'', '"'));
    for (int n : new int[] {37, 40}) {
      try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, 2, n, 0)) {
        double counted = 0;
        for (Iterator<GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
          GraphOperation op = it.next();
          if (op.type().equals("MatMul") || op.type().startsWith("BatchMatMul") || op.type().equals("Einsum")) {
            counted += matmulFlops(op);
          }
        }
        assertEquals(counted, Flops.forward(spec, 2, n), 1e-9 * counted, json + " N=" + n + " FLOPs");
      }
    }
  }

  /**
   * 2 * (batch dims) * M * K * P for an output of (..., M, P) with contraction K; for a two-operand
   * Einsum, 2 * (output size) * (the sizes of the first operand's axes the output lacks).
   */
  private static double matmulFlops(GraphOperation op) {
    Shape out = op.output(0).shape();
    if (op.type().equals("Einsum")) {
      String eq = op.attributes().getAttrString("equation");
      String first = eq.substring(0, eq.indexOf(','));
      String result = eq.substring(eq.indexOf("->") + 2);
      double size = 2;
      for (int i = 0; i < out.numDimensions(); i++) {
        size *= out.get(i);
      }
      for (int i = 0; i < first.length(); i++) {
        if (result.indexOf(first.charAt(i)) < 0) {
          size *= op.input(0).shape().get(i);
        }
      }
      return size;
    }
    Shape a = op.input(0).shape();
    boolean adjA = op.type().equals("MatMul") ? op.attributes().getAttrBool("transpose_a")
        : op.attributes().getAttrBool("adj_x");
    int ra = a.numDimensions();
    long k = adjA ? a.get(ra - 2) : a.get(ra - 1);
    long size = 1;
    for (int i = 0; i < out.numDimensions(); i++) {
      size *= out.get(i);
    }
    return 2.0 * size * k;
  }
}
