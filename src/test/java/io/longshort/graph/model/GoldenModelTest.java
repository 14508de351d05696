package io.longshort.graph.model;

import io.longshort.graph.model.ModelGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.spec.AuthorsConfig;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/**
 * Every whole-model case (ModelForSC / ModelForSCDual with random weights) in ../shared/golden/lra
 * and tests/fixtures/golden, imported with the authors' config and state_dict names.
 */
class GoldenModelTest {
  static final double TOLERANCE = 1e-4;

  @TestFactory
  Stream<DynamicTest> matchesAuthorsModels() throws Exception {
    List<Path> files = Golden.modelCases(Golden.allCases());
    assertTrue(files.size() >= 3, "at least the three shared model cases: " + files);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      ModelSpec spec = Golden.modelSpec(st);
      long[] idsShape = st.info("input.ids_0").shape();
      try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(idsShape[0]).setLength(Math.toIntExact(idsShape[1])).optSeed(0).build()) {
        WeightLoader.Report report = WeightLoader.load(g.session(), g.parameters(), st, "",
            AuthorsConfig.stateDictNames(spec));
        assertEquals(g.parameters().list().size(), report.loaded().size());
        double[] logits = g.logits(idsShape[0], Golden.modelInputs(st, spec));
        double[] expected = st.readDoubles("output.logits");
        assertEquals(expected.length, logits.length);
        double maxErr = 0;
        for (int i = 0; i < logits.length; i++) {
          maxErr = Math.max(maxErr, Math.abs(logits[i] - expected[i]));
        }
        assertTrue(maxErr <= TOLERANCE, file.getFileName() + ": max abs error " + maxErr);
      }
    }
  }
}
