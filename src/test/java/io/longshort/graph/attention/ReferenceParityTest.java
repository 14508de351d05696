package io.longshort.graph.attention;

import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.attention.AttentionGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.ReferenceHarness.Case;
import io.longshort.reference.ReferenceHarness.Diff;
import io.longshort.reference.ReferenceAttention;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat64;

/**
 * The float64 graph of every attention kind against the plain-Java reference
 * ({@link ReferenceAttention}) on seeded random configurations, random parameters (LayerNorms
 * included) and random padding masks.
 */
class ReferenceParityTest {
  static final double TOLERANCE = 1e-4;
  private static final GlobalToken[] TOKENS = GlobalToken.values();
  private static double worst = 0;
  private static String worstCase = "";

  static List<Case> cases() {
    Random rnd = new Random(20210715);
    List<Case> cases = new ArrayList<>();
    long seed = 1;
    // LONG_SHORT: every window 0..9 (odd ones included) and every rank 0..5, all three token modes
    for (int i = 0; i < 44; i++) {
      int w = i % 10;
      int r = (i / 10 + i) % 6;
      if (w == 0 && r == 0) {
        r = 1 + rnd.nextInt(5);
      }
      int heads = 1 + rnd.nextInt(4);
      int k = 1 + (i % 6);
      GlobalToken token = TOKENS[(i / 3) % 3];
      int n = 1 + rnd.nextInt(40);
      if (w > 1 && n % w == 0 && n < 40) {
        n++; // mostly lengths that are not a multiple of w
      }
      AttentionSpec spec = AttentionSpec.longShort().setWidth(heads * k).setHeads(heads)
          .setWindow(w).setRank(r).optGlobalToken(token).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    // LONG_SHORT edge cases: length 1, window longer than the sequence, one exact multiple
    cases.add(new Case(AttentionSpec.longShort().setWidth(6).setHeads(2).setWindow(4).setRank(2)
        .build(), 2, 1, seed++));
    cases.add(new Case(AttentionSpec.longShort().setWidth(4).setHeads(1).setWindow(1).setRank(0)
        .optGlobalToken(GlobalToken.FIRST_ROW).build(), 2, 1, seed++));
    cases.add(new Case(AttentionSpec.longShort().setWidth(4).setHeads(1).setWindow(0).setRank(3)
        .optGlobalToken(GlobalToken.INPUT).build(), 3, 1, seed++));
    cases.add(new Case(AttentionSpec.longShort().setWidth(8).setHeads(4).setWindow(9).setRank(1)
        .build(), 2, 5, seed++));
    cases.add(new Case(AttentionSpec.longShort().setWidth(6).setHeads(3).setWindow(8).setRank(4)
        .optGlobalToken(GlobalToken.INPUT).build(), 3, 32, seed++));
    cases.add(new Case(AttentionSpec.longShort().setWidth(12).setHeads(2).setWindow(5).setRank(5)
        .optGlobalToken(GlobalToken.FIRST_ROW).build(), 2, 40, seed++));

    // CAUSAL_LONG_SHORT: windows 1..9, segments 1..8, ranks 0..l-1
    for (int i = 0; i < 24; i++) {
      int w = 1 + (i % 9);
      int l = 1 + ((i * 5) % 8);
      int r = rnd.nextInt(l);
      if (i % 4 == 1 && l > 1) {
        r = l - 1;
      }
      int heads = 1 + rnd.nextInt(4);
      int k = 1 + rnd.nextInt(6);
      int n = 1 + rnd.nextInt(40);
      if (l > 1 && n % l == 0 && n < 40) {
        n++;
      }
      AttentionSpec spec = AttentionSpec.causalLongShort().setWidth(heads * k).setHeads(heads)
          .setWindow(w).setSegment(l).setRank(r).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    cases.add(new Case(AttentionSpec.causalLongShort().setWidth(4).setHeads(2).setWindow(3)
        .setSegment(4).setRank(2).build(), 2, 1, seed++));
    cases.add(new Case(AttentionSpec.causalLongShort().setWidth(6).setHeads(2).setWindow(12)
        .setSegment(2).setRank(1).build(), 2, 7, seed++));

    // FULL and CAUSAL_FULL
    for (int i = 0; i < 16; i++) {
      int heads = 1 + rnd.nextInt(4);
      int k = 1 + rnd.nextInt(6);
      int n = i == 0 ? 1 : 1 + rnd.nextInt(40);
      AttentionSpec.Builder b = i % 2 == 0 ? AttentionSpec.full() : AttentionSpec.causalFull();
      AttentionSpec spec = b.setWidth(heads * k).setHeads(heads).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(3), n, seed++));
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> graphMatchesReference() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  @AfterAll
  static void report() {
    System.out.println("ReferenceParityTest: max abs error " + worst + " (" + worstCase + ")");
  }

  static void check(Case c) {
    Random rnd = new Random(c.seed() * 7919);
    AttentionSpec spec = c.spec();
    int d = spec.width();
    int rows = c.rows();
    double[] x = ReferenceHarness.normals(rnd, c.batch() * rows * d);
    double[] mask = ReferenceHarness.mask(rnd, c, c.seed() % 3 == 0);
    double[] cls = spec.globalToken() == GlobalToken.INPUT
        ? ReferenceHarness.normals(rnd, c.batch() * d) : null;
    try (AttentionGraph<TFloat64> g = AttentionGraph.build(spec, TFloat64.class, c.batch(), rows,
        c.seed())) {
      ReferenceHarness.randomizeParameters(g, rnd);
      Map<String, double[]> params = ReferenceHarness.readParameters(g);
      double[] got = g.run(c.batch(), x, mask, cls);
      double[] want = new ReferenceAttention(spec, params).apply(c.batch(), rows, x, mask, cls);
      int outRows = spec.outputLength(rows);
      assertEquals(c.batch() * outRows * d, want.length, "reference output size");
      assertEquals(want.length, got.length, "graph output size");
      Diff diff = Diff.of(got, want);
      synchronized (ReferenceParityTest.class) {
        if (diff.max() > worst) {
          worst = diff.max();
          worstCase = c.name();
        }
      }
      assertTrue(diff.max() <= TOLERANCE, c.name() + ": max abs error " + diff.max() + " at "
          + diff.where(outRows, d) + ": graph " + got[diff.index()] + ", reference "
          + want[diff.index()]);
    }
  }
}
