package io.longshort.graph.vision;

import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.vision.FullAttention2d;
import io.longshort.graph.vision.ImageAttentionGraph;
import io.longshort.graph.vision.LongShortAttention2d;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionKind;
import io.longshort.spec.ImageAttentionSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * Our 2-D attention against outputs of the authors' own PyTorch modules (transformer-ls
 * Transformer-LS-ImageNet: {@code AttentionLS} with rpe, and ViL's full {@code Attention}), run in
 * float64 on square grids that are multiples of w (what their code takes). Each file in
 * src/test/resources/golden/vision holds the module's state_dict (with its
 * {@code relative_position_index} buffers), {@code input.x}, {@code output.y} and the spec as
 * metadata. The weights load by their state_dict names; the buffers must equal our index tables.
 */
class ImageAttentionGoldenTest {
  static final List<String> FILES = List.of("ls_w7_side14_r8_g1", "ls_w4_side8_r3_g1", "ls_w2_side6_r0_g0",
      "full_w0_side5_r0_g1");

  @TestFactory
  Stream<DynamicTest> graphsMatchTheAuthorsModules() {
    return FILES.stream().flatMap(name -> Stream.of(
        DynamicTest.dynamicTest(name + " float64", () -> check(name, TFloat64.class, 1e-10)),
        DynamicTest.dynamicTest(name + " float32", () -> check(name, TFloat32.class, 1e-4))));
  }

  private static <T extends TFloating> void check(String name, Class<T> dtype, double tolerance) throws Exception {
    Path file = Path.of(ImageAttentionGoldenTest.class.getResource("/golden/vision/" + name + ".safetensors").toURI());
    try (Safetensors golden = Safetensors.open(file)) {
      ImageAttentionSpec spec = ImageAttentionSpec.parseJson(golden.metadata().get("spec"));
      int side = Integer.parseInt(golden.metadata().get("side"));
      int[] authorsIndex = golden.readInts("relative_position_index");
      int[] ours = spec.kind() == AttentionKind.LONG_SHORT
          ? LongShortAttention2d.biasIndex(spec.window()) : FullAttention2d.biasIndex(side, side);
      assertArrayEquals(authorsIndex, ours, name + ": relative_position_index");
      long[] xShape = golden.info("input.x").shape();
      try (ImageAttentionGraph<T> g = ImageAttentionGraph.build(spec, dtype, xShape[0], side, side, 0)) {
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), golden, "attention.", "");
        // what the authors' module holds that ours does not: index buffers, and dual_ln_dp without projections
        Set<String> allowed = Set.of("relative_position_index", "dual_ln_dp.weight", "dual_ln_dp.bias", "input.x",
            "output.y");
        assertTrue(allowed.containsAll(report.unused()), name + ": unused " + report.unused());
        double[] y = g.run(golden.readDoubles("input.x"));
        double[] want = golden.readDoubles("output.y");
        ReferenceHarness.Diff diff = ReferenceHarness.Diff.of(y, want);
        assertTrue(diff.max() <= tolerance, name + " " + dtype.getSimpleName() + ": max |ours - authors'| = "
            + diff.max() + " at " + diff.where((int) xShape[1], spec.width()));
      }
    }
  }
}
