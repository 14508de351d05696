package io.longshort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the examples (examples/java) at a small size: the user-composed model trains with the loop
 * (its validation loss falls), is killed with SIGKILL after its first checkpoint and resumes, and
 * exports a SavedModel with TF Serving's files.
 */
class ExamplesTest {
  @TempDir
  Path dir;

  static final int STEPS = 200;

  private Process start(Path run, Path export, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), MixedAttentionClassifier.class.getName(),
        "--run", run.toString(), "--export", export.toString(), "--steps", Integer.toString(STEPS),
        "--batch", "16", "--checkpoint-every", "20"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void mixedAttentionClassifierTrainsResumesAfterAKillAndExports() throws Exception {
    Path run = dir.resolve("run");
    Path export = dir.resolve("savedmodels");
    Process victim = start(run, export, dir.resolve("killed.log"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (Checkpoints.list(run.resolve("checkpoints")).isEmpty() && victim.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(victim.isAlive(), "still training when killed: " + Files.readString(dir.resolve("killed.log")));
    Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(victim.pid())}).waitFor();
    victim.waitFor(60, TimeUnit.SECONDS);
    long killedAt = Checkpoints.step(Checkpoints.latest(run.resolve("checkpoints")).orElseThrow());
    assertTrue(killedAt < STEPS, "killed at checkpoint " + killedAt);

    Process resumed = start(run, export, dir.resolve("resumed.log"));
    assertTrue(resumed.waitFor(300, TimeUnit.SECONDS), "finished");
    String log = Files.readString(dir.resolve("resumed.log"));
    assertEquals(0, resumed.exitValue(), log);
    assertTrue(log.contains("resuming at step " + killedAt + " of " + STEPS), log);

    String both = Files.readString(dir.resolve("killed.log")) + log;
    List<Double> losses = new ArrayList<>();
    for (String line : both.split("\n")) {
      if (line.contains("validation loss ") && line.startsWith("step ")) {
        losses.add(Double.parseDouble(line.replaceAll(".*validation loss ([0-9.]+).*", "$1")));
      }
    }
    assertTrue(losses.size() >= 2 && losses.get(losses.size() - 1) < losses.get(0) - 0.05,
        "the validation loss falls: " + losses);

    Path version = export.resolve(MixedAttentionClassifier.NAME).resolve("1");
    assertTrue(Files.isRegularFile(version.resolve("saved_model.pb")), "saved_model.pb");
    assertTrue(Files.isRegularFile(version.resolve("variables/variables.index")), "variables");
    assertTrue(Files.isRegularFile(version.resolve("assets.extra/tf_serving_warmup_requests")), "warm-up request");
    assertTrue(Files.isRegularFile(version.resolve("assets.extra/example.safetensors")), "example");
    assertTrue(Files.readString(export.resolve("models.config")).contains("name: \"" + MixedAttentionClassifier.NAME + "\""));
  }
}
