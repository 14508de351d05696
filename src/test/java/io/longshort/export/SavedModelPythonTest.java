package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.longshort.graph.ModelGraph;
import io.longshort.spec.ModelConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * Runs scripts/check_savedmodel_python.py (TF2 and TF1 loaders, warm-up records, saved_model_cli)
 * on a SavedModel exported here; skipped where python3 has no tensorflow and safetensors.
 */
class SavedModelPythonTest {
  @TempDir
  Path dir;

  @Test
  void pythonTensorFlowLoadsTheSavedModel() throws Exception {
    Process probe = new ProcessBuilder("python3", "-c", "import tensorflow, safetensors")
        .redirectErrorStream(true).redirectOutput(dir.resolve("probe.log").toFile()).start();
    assumeTrue(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0,
        "python3 with tensorflow and safetensors is not available");
    ServingExport.Result r;
    try (ModelGraph<TFloat32> g = ModelGraph.build(ModelConfigs.load("lra_text"), TFloat32.class, -1, 96, 5)) {
      r = ServingExport.export(g, dir.resolve("savedmodels"), "lra_text", null, false, 0);
    }
    Path log = dir.resolve("check.log");
    Process p = new ProcessBuilder("python3", Path.of("scripts/check_savedmodel_python.py").toAbsolutePath().toString(),
        r.versionDir().toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "python check timed out");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    assertEquals(6, out.lines().filter(l -> l.startsWith("PASS ")).count(), out);
  }
}
