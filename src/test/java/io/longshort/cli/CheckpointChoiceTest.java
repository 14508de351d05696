package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** --checkpoint best|latest|STEP|PATH against a run folder. */
class CheckpointChoiceTest {
  @TempDir
  Path dir;

  @Test
  void namesWhatIsMissing() {
    Path runDir = dir.resolve("run");
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    assertEquals(2, cli.execute("eval", "--run", runDir.toString(), "--checkpoint", "best", "--listops",
        dir.toString()));
    assertTrue(err.toString().contains("--checkpoint (best)") && err.toString().contains("best.json"), err.toString());
  }

  /** eval --checkpoint evaluates the weights it names, not the newest. */
  @Test
  void evalTakesTheNamedCheckpoint() throws Exception {
    Path listOps = dir.resolve("listops");
    Path runDir = dir.resolve("run");
    run("generate-listops", "--out", listOps.toString(), "--train", "40", "--valid", "16", "--test", "16",
        "--min-length", "10", "--max-length", "60");
    run("train", "--listops", listOps.toString(), "--length", "64", "--batch", "4", "--steps", "4", "--lr", "1e-2",
        "--warmup", "0", "--eval-every", "4", "--checkpoint-every", "2", "--run", runDir.toString());
    String latest = evalLine("latest", listOps, runDir);
    String two = evalLine("2", listOps, runDir);
    assertTrue(latest.startsWith("ckpt-4.safetensors at step 4"), latest);
    assertTrue(two.startsWith("ckpt-2.safetensors at step 2"), two);
    assertTrue(!latest.substring(latest.indexOf("loss")).equals(two.substring(two.indexOf("loss"))),
        "the two checkpoints' weights differ: " + latest + " / " + two);
    // validated once, at step 4: the best checkpoint is step 4's, kept apart from the rotation
    assertTrue(evalLine("best", listOps, runDir).startsWith("ckpt-4.safetensors at step 4"));
    assertEquals(latest, evalLine(null, listOps, runDir));
  }

  private static String evalLine(String checkpoint, Path listOps, Path runDir) {
    String out = checkpoint == null ? run("eval", "--run", runDir.toString(), "--listops", listOps.toString())
        : run("eval", "--run", runDir.toString(), "--checkpoint", checkpoint, "--listops", listOps.toString());
    return out.lines().filter(l -> l.startsWith("ckpt-")).findFirst().orElseThrow(() -> new AssertionError(out));
  }

  private static String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args), String.join(" ", args) + ": " + err);
    return out.toString();
  }
}
