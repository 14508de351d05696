package io.longshort.graph.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.ReferenceHarness;
import io.longshort.reference.ReferenceHarness.Case;
import io.longshort.reference.ReferenceHarness.Diff;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.reference.ReferenceBaselineAttention;
import io.longshort.graph.attention.PerformerFeatures;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.FeatureMap;
import io.longshort.spec.PseudoInverseStart;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat64;

/**
 * The float64 graphs of linformer and nystrom attention against their plain-Java reference
 * ({@link ReferenceBaselineAttention}) on seeded random configurations, parameters and padding:
 * inputs shorter than Linformer's maxLength, lengths that are not a multiple of the landmarks,
 * M = Np (the exact path), both pseudo-inverse starts, odd convolutions; Performer with both
 * feature maps on the same features as the graph.
 */
class ReferenceBaselineParityTest {
  static final double TOLERANCE = 1e-9;

  static List<Case> cases() {
    Random rnd = new Random(2021);
    List<Case> cases = new ArrayList<>();
    long seed = 1;
    for (int i = 0; i < 12; i++) {
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(5);
      int n = 1 + rnd.nextInt(30);
      int maxLength = i % 3 == 0 ? 0 : n + rnd.nextInt(8);
      int conv = i % 4 == 1 ? 1 + 2 * rnd.nextInt(3) : 0;
      AttentionSpec spec = AttentionSpec.linformer().setWidth(heads * k).setHeads(heads)
          .setRank(1 + rnd.nextInt(10)).optMaxLength(maxLength).optConvKernel(conv).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    for (int i = 0; i < 16; i++) {
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(5);
      int n = 2 + rnd.nextInt(30);
      int m = i % 5 == 4 ? n : 1 + rnd.nextInt(Math.min(n, 9)); // m = n: the exact path
      int conv = i % 3 == 1 ? 1 + 2 * rnd.nextInt(3) : 0;
      AttentionSpec spec = AttentionSpec.nystrom().setWidth(heads * k).setHeads(heads).setLandmarks(m)
          .optConvKernel(conv).optInverseStart(i % 2 == 0 ? PseudoInverseStart.BATCH : PseudoInverseStart.ROW)
          .build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    for (int i = 0; i < 12; i++) {
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(6);
      int n = 1 + rnd.nextInt(30);
      AttentionSpec spec = AttentionSpec.performer().setWidth(heads * k).setHeads(heads)
          .setFeatures(1 + rnd.nextInt(20)).optFeatureSeed(i)
          .optFeatureMap(i % 2 == 0 ? FeatureMap.RELU : FeatureMap.SOFTMAX).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    for (int i = 0; i < 12; i++) {
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(5);
      int n = 1 + rnd.nextInt(30);
      int g = i % 3 == 0 ? 0 : rnd.nextInt(Math.min(n, 4) + 1);
      AttentionSpec spec = AttentionSpec.longformer().setWidth(heads * k).setHeads(heads)
          .setWindow(2 * (1 + rnd.nextInt(5))).optGlobalTokens(g).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    for (int i = 0; i < 10; i++) {
      int heads = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(4);
      int w = 1 + rnd.nextInt(4);
      int r = rnd.nextInt(3);
      int blocks = r + 5 + rnd.nextInt(3);
      int n = blocks * w - rnd.nextInt(w); // not always a multiple of the block
      AttentionSpec spec = AttentionSpec.bigBird().setWidth(heads * k).setHeads(heads).setBlockSize(w)
          .optRandomBlocks(r).optRandomSeed(i).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> graphMatchesReference() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.spec().toJson() + " n=" + c.n() + " b=" + c.batch(),
        () -> check(c)));
  }

  static void check(Case c) {
    Random rnd = new Random(c.seed() * 7919);
    AttentionSpec spec = c.spec();
    int d = spec.width();
    double[] x = ReferenceHarness.normals(rnd, c.batch() * c.n() * d);
    double[] mask = ReferenceHarness.mask(rnd, c, c.seed() % 3 == 0);
    try (AttentionGraph<TFloat64> g = AttentionGraph.build(spec, TFloat64.class, c.batch(), c.n(), c.seed())) {
      ReferenceHarness.randomizeParameters(g, rnd);
      Map<String, double[]> params = ReferenceHarness.readParameters(g);
      if (spec.kind() == AttentionKind.PERFORMER) {
        // the same features the graph's layer ("attention") drew
        params.put("projection", PerformerFeatures.forLayer((AttentionSpec.Performer) spec, "attention"));
      }
      double[] got = g.run(c.batch(), x, mask, null);
      ReferenceBaselineAttention reference = new ReferenceBaselineAttention(spec, params);
      if (spec.kind() == AttentionKind.BIGBIRD) {
        // the same random plan the graph's layer ("attention") drew
        int blocks = (c.n() + spec.blockSize() - 1) / spec.blockSize();
        reference.withRandomPlan(io.longshort.graph.attention.BigBirdPlan.random((AttentionSpec.BigBird) spec, "attention", blocks));
      }
      double[] want = reference.apply(c.batch(), c.n(), x, mask);
      assertEquals(want.length, got.length, "graph output size");
      Diff diff = Diff.of(got, want);
      assertTrue(diff.max() <= TOLERANCE, "max abs error " + diff.max() + " at " + diff.where(c.n(), d)
          + ": graph " + got[diff.index()] + ", reference " + want[diff.index()]);
    }
  }
}
