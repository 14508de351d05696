package io.longshort.graph.vision;

import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.vision.ImageAttentionGraph;
import io.longshort.graph.vision.LongShortAttention2d;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.reference.ReferenceImageAttention;
import io.longshort.spec.ImageAttentionSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * 2-D attention graphs against the plain-Java float64 reference ({@link ReferenceImageAttention})
 * on random configurations: odd sides, sides that are not multiples of w, non-square grids,
 * several heads, ranks and global tokens, with and without relative positions; in float64 and
 * float32, within 1e-4.
 */
class ImageAttentionParityTest {
  static final double TOLERANCE = 1e-4;

  record Case(ImageAttentionSpec spec, int batch, int gx, int gy, long seed) {
    @Override
    public String toString() {
      return spec.kind().jsonName() + " w=" + spec.window() + " r=" + spec.rank() + " g=" + spec.globalTokens()
          + " h=" + spec.heads() + " k=" + spec.headWidth() + " rpe=" + spec.relativePositions()
          + " grid=" + gx + "x" + gy + " seed=" + seed;
    }
  }

  /** Fixed corner cases, then seeded random ones. */
  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case(ImageAttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(3).setRank(2)
        .optGlobalTokens(1).build(), 2, 7, 7, 1));
    cases.add(new Case(ImageAttentionSpec.longShort().setWidth(6).setHeads(3).setWindow(4).setRank(0)
        .optGlobalTokens(0).build(), 1, 5, 9, 2));
    cases.add(new Case(ImageAttentionSpec.longShort().setWidth(4).setHeads(1).setWindow(1).setRank(3)
        .optGlobalTokens(2).optRelativePositions(false).build(), 2, 3, 4, 3));
    cases.add(new Case(ImageAttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(7).setRank(8)
        .optGlobalTokens(1).build(), 1, 9, 11, 4));
    cases.add(new Case(ImageAttentionSpec.full().setWidth(8).setHeads(2).optGlobalTokens(1).build(), 2, 3, 5, 5));
    cases.add(new Case(ImageAttentionSpec.full().setWidth(6).setHeads(3).optGlobalTokens(0).build(), 1, 4, 4, 6));
    Random rnd = new Random(20260921);
    for (int i = 0; i < 8; i++) {
      int h = 1 + rnd.nextInt(3);
      int k = 1 + rnd.nextInt(4);
      int w = 2 + rnd.nextInt(4);
      ImageAttentionSpec spec = ImageAttentionSpec.longShort().setWidth(h * k).setHeads(h).setWindow(w)
          .setRank(rnd.nextInt(4)).optGlobalTokens(rnd.nextInt(3)).optRelativePositions(rnd.nextInt(4) != 0).build();
      cases.add(new Case(spec, 1 + rnd.nextInt(2), 1 + rnd.nextInt(11), 1 + rnd.nextInt(11), 100 + i));
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> float64MatchesReference() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, TFloat64.class)));
  }

  @TestFactory
  Stream<DynamicTest> float32MatchesReference() {
    return cases().stream().limit(6).map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, TFloat32.class)));
  }

  /** The table of the authors' module for w = 7: 253 rows, every index inside. */
  @Test
  void biasTableMatchesTheAuthorsSize() {
    assertTrue(LongShortAttention2d.biasTableRows(7) == 2 * (7 + 3 - 1) * (2 * 3 + 7 + 1) + 1);
    int max = 0;
    for (int i : LongShortAttention2d.biasIndex(7)) {
      max = Math.max(max, i);
    }
    assertTrue(max == LongShortAttention2d.biasTableRows(7) - 1, "max index " + max);
  }

  static <T extends TFloating> void check(Case c, Class<T> dtype) {
    Random rnd = new Random(c.seed());
    int n = c.spec().globalTokens() + c.gx() * c.gy();
    try (ImageAttentionGraph<T> g = ImageAttentionGraph.build(c.spec(), dtype, c.batch(), c.gx(), c.gy(), c.seed())) {
      Map<String, double[]> params = randomize(g, rnd);
      double[] x = ReferenceHarness.normals(rnd, c.batch() * n * c.spec().width());
      double[] got = g.run(x);
      double[] want = new ReferenceImageAttention(c.spec(), params).apply(c.batch(), c.gx(), c.gy(), x);
      ReferenceHarness.Diff diff = ReferenceHarness.Diff.of(got, want);
      assertTrue(diff.max() <= TOLERANCE, c + " " + dtype.getSimpleName() + ": max |graph - reference| = "
          + diff.max() + " at " + diff.where(n, c.spec().width()));
    }
  }

  /**
   * Seeded random values for every parameter (so a swapped or misindexed one shows), returned by
   * PyTorch name without the "attention." prefix.
   */
  static <T extends TFloating> Map<String, double[]> randomize(ImageAttentionGraph<T> g, Random rnd) {
    Parameters<T> params = g.parameters();
    Map<String, double[]> out = new LinkedHashMap<>();
    for (Parameter<T> p : params.list()) {
      int size = Math.toIntExact(p.size());
      double[] v = new double[size];
      boolean layerNorm = p.name().contains("ln");
      boolean weight = p.name().endsWith(".weight");
      for (int i = 0; i < size; i++) {
        if (p.name().contains("relative_position")) {
          v[i] = 0.5 * rnd.nextGaussian();
        } else if (layerNorm) {
          v[i] = weight ? 1 + 0.3 * rnd.nextGaussian() : 0.3 * rnd.nextGaussian();
        } else if (weight) {
          v[i] = (2 * rnd.nextDouble() - 1) * 1.5 / Math.sqrt(p.shape()[1]);
        } else {
          v[i] = rnd.nextDouble() - 0.5;
        }
      }
      Parameters.Setter<T> setter = params.setter(p);
      try (Tensor t = HostTensors.of(params.dtype(), p.shape(), v);
          Result r = g.session().runner().feed(setter.value(), t).addTarget(setter.assign()).run()) {
        // assigned
      }
      out.put(p.name().substring(ReferenceHarness.PREFIX.length()), v);
    }
    return out;
  }
}
