package io.longshort.graph.attention;

import io.longshort.graph.attention.AttentionGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.Golden;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.AuthorsConfig;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/** Every attn_* case of the authors' AttentionLS in ../shared/golden/lra, through our graph. */
class GoldenAttentionTest {
  static final double TOLERANCE = 1e-4;

  @TestFactory
  Stream<DynamicTest> matchesAuthorsAttentionLS() throws Exception {
    return Golden.cases("attn_").stream()
        .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      JsonNode config = new ObjectMapper().readTree(st.metadata().get("config"));
      boolean clsInput = st.contains("input.cls_embed");
      AttentionSpec spec = AuthorsConfig.attentionSpec(config, clsInput);
      long[] xShape = st.info("input.x").shape();
      long batch = xShape[0];
      int length = Math.toIntExact(xShape[1]);
      try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, batch, length, 1)) {
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), st, "attention.", "");
        assertTrue(report.loaded().contains("W_q.weight"), "W_q.weight loaded");
        double[] y = g.run(batch, st.readDoubles("input.x"), st.readDoubles("input.mask"),
            clsInput ? st.readDoubles("input.cls_embed") : null);
        double[] expected = st.readDoubles("output.y");
        assertEquals(expected.length, y.length, "output size (shape " + st.info("output.y").shapeString() + ")");
        double maxErr = 0;
        int worst = 0;
        for (int i = 0; i < y.length; i++) {
          double err = Math.abs(y[i] - expected[i]);
          if (!(err <= maxErr)) {
            maxErr = err;
            worst = i;
          }
        }
        assertTrue(maxErr <= TOLERANCE, file.getFileName() + ": max abs error " + maxErr + " at flat index "
            + worst + " (got " + y[worst] + ", expected " + expected[worst] + ")");
      }
    }
  }
}
