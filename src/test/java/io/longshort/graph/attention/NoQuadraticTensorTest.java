package io.longshort.graph.attention;

import io.longshort.graph.attention.AttentionGraph;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Long-short graphs must never hold an N x N tensor: at N = 4096 no op output, forward or
 * backward, has two static dimensions of size N (or of the padded length).
 */
class NoQuadraticTensorTest {
  static final int N = 4096;

  @TestFactory
  Stream<DynamicTest> longShortGraphsHaveNoNxNTensor() {
    return Stream.of(
            AttentionSpec.longShort().setWidth(32).setHeads(2).setWindow(64).setRank(16).build(),
            AttentionSpec.longShort().setWidth(32).setHeads(2).setWindow(1).setRank(1)
                .optGlobalToken(io.longshort.spec.GlobalToken.INPUT).build(),
            AttentionSpec.longShort().setWidth(32).setHeads(2).setWindow(0).setRank(8).build(),
            AttentionSpec.causalLongShort().setWidth(32).setHeads(2).setWindow(64).setSegment(16).setRank(1).build(),
            AttentionSpec.causalLongShort().setWidth(32).setHeads(2).setWindow(100).setSegment(16).setRank(4).build())
        .map(spec -> DynamicTest.dynamicTest(spec.kind().jsonName() + " w=" + spec.window() + " r=" + spec.rank()
            + " l=" + spec.segment(), () -> {
              for (int n : new int[] {N, N - 5}) {
                List<String> offenders = quadraticTensors(spec, n);
                assertTrue(offenders.isEmpty(), "N=" + n + ": tensors with two dims >= N: " + offenders);
              }
            }));
  }

  /** The baselines: Linformer's E (H, R, N), Nystrom's (B, H, N, M) kernels, Performer's (B, H, N, F) features, Longformer's window tiles and (B, H, G, N) global rows, BigBird's gathered blocks. */
  @TestFactory
  Stream<DynamicTest> baselineGraphsHaveNoNxNTensor() {
    return Stream.of(
            AttentionSpec.linformer().setWidth(32).setHeads(2).setRank(64).optConvKernel(5).build(),
            AttentionSpec.linformer().setWidth(32).setHeads(2).setRank(16).optMaxLength(N).build(),
            AttentionSpec.nystrom().setWidth(32).setHeads(2).setLandmarks(64).optConvKernel(3).build(),
            AttentionSpec.nystrom().setWidth(32).setHeads(2).setLandmarks(16)
                .optInverseStart(io.longshort.spec.PseudoInverseStart.ROW).build(),
            AttentionSpec.performer().setWidth(32).setHeads(2).setFeatures(256).build(),
            AttentionSpec.performer().setWidth(32).setHeads(2).setFeatures(64)
                .optFeatureMap(io.longshort.spec.FeatureMap.SOFTMAX).build(),
            AttentionSpec.longformer().setWidth(32).setHeads(2).setWindow(128).optGlobalTokens(2).build(),
            AttentionSpec.longformer().setWidth(32).setHeads(2).setWindow(6).build(),
            AttentionSpec.bigBird().setWidth(32).setHeads(2).setBlockSize(64).build(),
            AttentionSpec.bigBird().setWidth(32).setHeads(2).setBlockSize(16).optRandomBlocks(1).build())
        .map(spec -> DynamicTest.dynamicTest(spec.toJson(), () -> {
              for (int n : new int[] {N, N - 5}) {
                List<String> offenders = quadraticTensors(spec, n);
                assertTrue(offenders.isEmpty(), "N=" + n + ": tensors with two dims >= N: " + offenders);
              }
            }));
  }

  /** The check itself must catch full attention, or it proves nothing. */
  @Test
  void fullAttentionIsFlagged() {
    List<String> offenders = quadraticTensors(AttentionSpec.full().setWidth(32).setHeads(2).build(), 512);
    assertTrue(!offenders.isEmpty(), "full attention must show an N x N tensor");
  }

  /** Outputs (forward and gradient ops) with at least two static dims >= n. */
  static List<String> quadraticTensors(AttentionSpec spec, int n) {
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, 1, n, 0)) {
      Ops tf = Ops.create(g.graph()).withSubScope("loss");
      Operand<TFloat32> loss = tf.sum(g.y(), tf.constant(new int[] {0, 1, 2}));
      List<Output<?>> xs = new ArrayList<>();
      xs.add(g.x().asOutput());
      g.parameters().list().forEach(p -> xs.add(p.value().asOutput()));
      g.graph().addGradients(loss.asOutput(), xs.toArray(Output<?>[]::new));
      List<String> offenders = new ArrayList<>();
      for (Iterator<GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        for (int i = 0; i < op.numOutputs(); i++) {
          Shape shape = op.output(i).shape();
          if (shape.isUnknown()) {
            continue;
          }
          int big = 0;
          for (long d : shape.asArray()) {
            if (d >= n) {
              big++;
            }
          }
          if (big >= 2) {
            offenders.add(op.name() + " (" + op.type() + ") " + shape);
          }
        }
      }
      return offenders;
    }
  }
}
