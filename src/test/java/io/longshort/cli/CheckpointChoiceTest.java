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
  void resolvesEveryForm() throws Exception {
    Path ckpts = Files.createDirectories(dir.resolve("checkpoints"));
    for (int step : new int[] {5, 10, 20}) {
      Files.writeString(ckpts.resolve("ckpt-" + step + ".safetensors"), "");
    }
    Files.writeString(ckpts.resolve("best.json"),
        "{\"step\": 10, \"file\": \"ckpt-10.safetensors\", \"metric\": \"accuracy\", \"value\": 0.5}");
    assertEquals(ckpts.resolve("ckpt-10.safetensors"), CheckpointChoice.resolve(ckpts, "best"));
    assertEquals(ckpts.resolve("ckpt-20.safetensors"), CheckpointChoice.resolve(ckpts, "latest"));
    assertEquals(ckpts.resolve("ckpt-20.safetensors"), CheckpointChoice.resolve(ckpts, null));
    assertEquals(ckpts.resolve("ckpt-5.safetensors"), CheckpointChoice.resolve(ckpts, "5"));
    Path file = ckpts.resolve("ckpt-5.safetensors");
    assertEquals(file, CheckpointChoice.resolve(ckpts, file.toString()));

    var e = assertThrows(IllegalArgumentException.class, () -> CheckpointChoice.resolve(ckpts, "7"));
    assertTrue(e.getMessage().contains("--checkpoint 7") && e.getMessage().contains("ckpt-7.safetensors")
        && e.getMessage().contains("best, latest, a step number or a checkpoint file"), e.getMessage());
    Files.delete(ckpts.resolve("best.json"));
    e = assertThrows(IllegalArgumentException.class, () -> CheckpointChoice.resolve(ckpts, "best"));
    assertTrue(e.getMessage().contains("best.json does not exist"), e.getMessage());
    Path empty = Files.createDirectories(dir.resolve("empty"));
    e = assertThrows(IllegalArgumentException.class, () -> CheckpointChoice.resolve(empty, "latest"));
    assertTrue(e.getMessage().contains("holds no ckpt-<step>.safetensors"), e.getMessage());
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
    Files.writeString(runDir.resolve("checkpoints/best.json"),
        "{\"step\": 2, \"file\": \"ckpt-2.safetensors\", \"metric\": \"loss\", \"value\": 1.0}");
    assertEquals(two, evalLine("best", listOps, runDir));
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
