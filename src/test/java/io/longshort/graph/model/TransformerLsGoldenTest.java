package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.types.TFloat32;

/**
 * Every {@code lm_*} case of ../shared/golden/lm and tests/fixtures/golden/lm (the authors' TransformerLSModel, random weights,
 * a stream of blocks through the cache): every block's log-probs and the cache after block 0.
 */
class TransformerLsGoldenTest {
  static final double TOLERANCE = 1e-4;

  /** The lm_* cases, sorted: new files run without code changes. */
  static List<Path> cases() throws IOException {
    List<Path> all = new java.util.ArrayList<>(cases(Golden.dir().resolve("lm")));
    all.addAll(cases(Golden.fixtures().resolve("lm")));
    return all;
  }

  /** The lm_* cases of one folder (ours, made by scripts/make_golden_lm.py, sit in tests/fixtures/golden/lm). */
  private static List<Path> cases(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("lm_"))
          .filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
    }
  }

  static TransformerLsSpec spec(Safetensors st) throws IOException {
    return TransformerLsSpec.fromAuthorsConfig(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
  }

  @TestFactory
  Stream<DynamicTest> matchesAuthorsModel() throws Exception {
    List<Path> files = cases();
    assertTrue(files.size() >= 9, "the seven shared lm cases and our two: " + files);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    try (Safetensors st = Safetensors.open(file)) {
      TransformerLsSpec spec = spec(st);
      int blocks = Integer.parseInt(st.metadata().get("blocks"));
      long[] shape = st.info("input.block_0").shape();
      try (TransformerLsLm<TFloat32> lm = TransformerLsLm.build(spec, TFloat32.class, shape[0],
          Math.toIntExact(shape[1]), 0)) {
        WeightLoader.Report report = WeightLoader.load(lm.session(), lm.parameters(), st);
        assertEquals(lm.parameters().list().size(), report.loaded().size());
        TFloat32 cache = lm.zeroCache();
        double worst = 0;
        for (int b = 0; b < blocks; b++) {
          try (TransformerLsLm.Step<TFloat32> step = lm.run(st.readInts("input.block_" + b), cache)) {
            cache.close();
            worst = Math.max(worst, maxDiff(st.readDoubles("output.logprobs_" + b), step.logprobs(),
                file + " block " + b));
            if (b == 0) {
              double[] next = HostTensors.toDoubles(step.nextCache());
              int per = next.length / spec.layers();
              for (int i = 0; i < spec.layers(); i++) {
                double[] want = st.readDoubles("output.cache_1." + i);
                assertEquals(per, want.length, "cache size of layer " + i);
                double[] got = java.util.Arrays.copyOfRange(next, i * per, (i + 1) * per);
                worst = Math.max(worst, maxDiff(want, got, file + " cache layer " + i));
              }
            }
            cache = HostTensors.of(TFloat32.class, step.nextCache().shape().asArray(),
                HostTensors.toDoubles(step.nextCache()));
          }
        }
        cache.close();
        System.out.printf("%s: max abs error %.3g over %d blocks%n", file.getFileName(), worst, blocks);
      }
    }
  }

  static double maxDiff(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what + ": size");
    double max = 0;
    for (int i = 0; i < want.length; i++) {
      max = Math.max(max, Math.abs(want[i] - got[i]));
    }
    assertTrue(max <= TOLERANCE, what + ": max abs error " + max);
    return max;
  }
}
