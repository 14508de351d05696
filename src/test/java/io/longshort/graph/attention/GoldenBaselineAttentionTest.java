package io.longshort.graph.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.reference.ReferenceHarness;
import io.longshort.Golden;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.AuthorsConfig;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/**
 * Every case in ../shared/golden/baselines (the authors' {@code Attention} wrapper around their
 * Linformer and Nystrom modules) through our graph, padded rows included.
 */
class GoldenBaselineAttentionTest {
  static final double TOLERANCE = 1e-4;

  @TestFactory
  Stream<DynamicTest> matchesAuthorsBaselines() throws Exception {
    return Golden.cases("baselines", "").stream()
        .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      JsonNode config = new ObjectMapper().readTree(st.metadata().get("config"));
      AttentionSpec spec = AuthorsConfig.baselineSpec(config);
      long[] xShape = st.info("input.x").shape();
      long batch = xShape[0];
      int length = Math.toIntExact(xShape[1]);
      try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, batch, length, 1)) {
        // their wrapper calls the output projection ff, ours W_o (as for full attention)
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), st, "attention.",
            name -> name.substring("attention.".length()).replaceFirst("^W_o\\.", "ff."));
        assertTrue(report.unused().stream().allMatch(n -> n.startsWith("input.") || n.startsWith("output.")),
            "every parameter of the file is used: " + report.unused());
        double[] y = g.run(batch, st.readDoubles("input.x"), st.readDoubles("input.mask"), null);
        double[] expected = st.readDoubles("output.y");
        assertEquals(expected.length, y.length, "output size (shape " + st.info("output.y").shapeString() + ")");
        ReferenceHarness.Diff diff = ReferenceHarness.Diff.of(y, expected);
        assertTrue(diff.max() <= TOLERANCE, file.getFileName() + ": max abs error " + diff.max() + " at "
            + diff.where(length, spec.width()) + " (got " + y[diff.index()] + ", expected "
            + expected[diff.index()] + ")");
        System.out.println(file.getFileName() + ": max abs error " + diff.max());
      }
    }
  }
}
