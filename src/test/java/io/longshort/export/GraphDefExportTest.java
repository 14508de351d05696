package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.cli.Main;
import io.longshort.spec.ModelConfigs;
import io.longshort.weights.Safetensors;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.proto.GraphDef;

class GraphDefExportTest {
  @TempDir
  Path dir;

  /** The LRA graphs, exported by this JVM, give the same logits in a fresh JVM that imports them. */
  @Test
  void lraGraphsReimportInAFreshJvmWithIdenticalOutputs() throws Exception {
    int rc = Main.commandLine().execute("export-graphs", "--spec", "lra_listops,lra_text,lra_retrieval",
        "--batch", "2", "--length", "600", "--examples", "--out", dir.toString());
    assertEquals(0, rc);
    for (String model : new String[] {"lra_listops", "lra_text", "lra_retrieval"}) {
      Path pb = dir.resolve(model + ".pb");
      Path example = dir.resolve(model + ".example.safetensors");
      Path replayed = dir.resolve(model + ".replayed.safetensors");
      Process p = new ProcessBuilder(TestJvm.command(GraphDefReplay.class, pb.toString(), example.toString(),
          replayed.toString()))
          .redirectErrorStream(true).redirectOutput(dir.resolve(model + ".log").toFile()).start();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), model + ": fresh JVM timed out");
      assertEquals(0, p.exitValue(), model + ": fresh JVM failed: " + Files.readString(dir.resolve(model + ".log")));
      try (Safetensors a = Safetensors.open(example); Safetensors b = Safetensors.open(replayed)) {
        assertArrayEquals(a.readDoubles("output.logits"), b.readDoubles("logits"), 0.0, model + " logits");
      }
    }
  }

  /** Every shipped config exports a binary and a text GraphDef that parse back into a graph. */
  @Test
  void everyShippedConfigExports() throws Exception {
    for (String model : ModelConfigs.SHIPPED) {
      int rc = Main.commandLine().execute("export-graphs", "--spec", model, "--length", "256",
          "--out", dir.toString());
      assertEquals(0, rc, model);
      GraphDef def = GraphDef.parseFrom(Files.readAllBytes(dir.resolve(model + ".pb")));
      try (Graph g = new Graph()) {
        g.importGraphDef(def);
        assertTrue(g.operation("logits") != null, model + ": has logits");
        assertTrue(g.operation("Init") != null, model + ": has Init");
      }
      GraphDef.Builder fromText = GraphDef.newBuilder();
      com.google.protobuf.TextFormat.merge(Files.readString(dir.resolve(model + ".pbtxt")), fromText);
      assertEquals(def.getNodeCount(), fromText.getNodeCount(), model + ": .pbtxt holds the same graph");
    }
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
    }
    assertTrue(new File(dir.toFile(), "causal_ls_lm_30x512.pb").length() > 0);
  }
}
