package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** train --bf16: a mixed-precision run whose float32 checkpoints eval and export (float32 graphs) read. */
class TrainBf16CommandTest {
  @TempDir
  Path dir;

  private String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args), err.toString());
    return out.toString();
  }

  @Test
  void bf16RunEvaluatesInFloat32() {
    Path d = dir.resolve("listops");
    run("generate-listops", "--out", d.toString(), "--train", "40", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60");
    Path runDir = dir.resolve("run");
    String out = run("train", "--bf16", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", runDir.toString());
    assertTrue(out.contains("bfloat16 compute, float32 master weights"), out);
    String eval = run("eval", "--run", runDir.toString(), "--listops", d.toString());
    assertTrue(eval.toLowerCase().contains("accuracy"), eval);
    run("export", "--run", runDir.toString(), "--out", dir.resolve("savedmodels").toString(), "--name", "bf16");
    assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("savedmodels/bf16/1/saved_model.pb")));
  }
}
