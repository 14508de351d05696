package io.longshort.graph.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.longshort.reference.ReferenceHarness;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/**
 * Every case in tests/fixtures/golden_baselines (made from Hugging Face transformers' Longformer and
 * BigBird modules by scripts/make_golden_baselines.py) through our graph; BigBird with the random
 * plan their module drew.
 */
class GoldenTransformersBaselineTest {
  static final double TOLERANCE = 1e-4;
  static final Path FOLDER = Path.of("tests", "fixtures", "golden_baselines");

  @TestFactory
  Stream<DynamicTest> matchesTransformersModules() throws Exception {
    List<Path> files;
    try (Stream<Path> all = Files.list(FOLDER)) {
      files = all.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
    }
    assertTrue(!files.isEmpty(), "no golden cases in " + FOLDER);
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
  }

  /** Our spec of a case's transformers config. */
  static AttentionSpec spec(Safetensors st) throws Exception {
    JsonNode c = new ObjectMapper().readTree(st.metadata().get("config"));
    String module = st.metadata().get("module");
    if (module.contains("Longformer")) {
      return AttentionSpec.longformer().setWidth(c.get("hidden_size").asInt()).setHeads(c.get("num_attention_heads").asInt())
          .setWindow(c.get("attention_window").asInt()).optGlobalTokens(c.get("global_tokens").asInt()).build();
    }
    if (module.contains("BigBird")) {
      // their random plan, as their training mode drew it: (H, blocks - 2, R)
      long[] shape = st.info("attn.rand_attn").shape();
      int[] flat = st.readInts("attn.rand_attn");
      int[][][] plan = new int[(int) shape[0]][(int) shape[1]][(int) shape[2]];
      for (int i = 0; i < flat.length; i++) {
        plan[i / (int) (shape[1] * shape[2])][(int) (i / shape[2] % shape[1])][(int) (i % shape[2])] = flat[i];
      }
      return AttentionSpec.bigBird().setWidth(c.get("hidden_size").asInt()).setHeads(c.get("num_attention_heads").asInt())
          .setBlockSize(c.get("block_size").asInt()).optRandomBlocks(c.get("num_random_blocks").asInt())
          .optRandomPlan(plan).build();
    }
    throw new IllegalArgumentException("unknown golden module " + module);
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      AttentionSpec spec = spec(st);
      long[] xShape = st.info("input.x").shape();
      long batch = xShape[0];
      int length = Math.toIntExact(xShape[1]);
      try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, batch, length, 1)) {
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), st, "attention.", "");
        // without global positions our layer has no *_global projections (they would get no gradient)
        assertTrue(report.unused().stream().allMatch(n -> n.startsWith("input.") || n.startsWith("output.")
            || (spec.globalTokens() == 0 && n.contains("_global.")) || n.equals("attn.rand_attn")),
            "every parameter of the file is used: " + report.unused());
        double[] y = g.run(batch, st.readDoubles("input.x"), st.readDoubles("input.mask"), null);
        double[] expected = st.readDoubles("output.y");
        assertEquals(expected.length, y.length, "output size");
        ReferenceHarness.Diff diff = ReferenceHarness.Diff.of(y, expected);
        System.out.println(file.getFileName() + ": max abs error " + diff.max());
        assertTrue(diff.max() <= TOLERANCE, file.getFileName() + ": max abs error " + diff.max() + " at "
            + diff.where(length, spec.width()) + " (got " + y[diff.index()] + ", expected "
            + expected[diff.index()] + ")");
      }
    }
  }
}
