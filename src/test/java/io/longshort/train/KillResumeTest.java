package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.cli.Main;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL mid-run and started again on its run folder ends with the
 * same weights as a run that was never interrupted, and leaves no half-written checkpoint.
 */
class KillResumeTest {
  @TempDir
  Path dir;

  static final int STEPS = 16;

  private List<String> trainArgs(Path run) {
    return List.of("train", "--listops", dir.resolve("listops").toString(), "--length", "96", "--batch", "4",
        "--steps", Integer.toString(STEPS), "--warmup", "3", "--lr", "1e-3", "--eval-every", "1000",
        "--checkpoint-every", "2", "--keep", "2", "--seed", "5", "--run", run.toString());
  }

  private Process start(Path run, Path log) throws IOException {
    List<String> cmd = TestJvm.command(List.of(), Main.class, trainArgs(run));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void killedAndResumedRunEqualsUninterruptedRun() throws Exception {
    assertEquals(0, Main.commandLine().execute("generate-listops", "--out", dir.resolve("listops").toString(),
        "--train", "200", "--valid", "20", "--test", "20", "--min-length", "10", "--max-length", "90"));

    Path straight = dir.resolve("straight");
    Process p = start(straight, dir.resolve("straight.log"));
    assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("straight.log")));

    Path killed = dir.resolve("killed");
    Process victim = start(killed, dir.resolve("killed.log"));
    Path checkpoints = killed.resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (Checkpoints.list(checkpoints).isEmpty() && victim.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(victim.isAlive(), "the run must still be going when it is killed: " + Files.readString(dir.resolve("killed.log")));
    Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(victim.pid())}).waitFor();
    victim.waitFor(60, TimeUnit.SECONDS);
    long killedAt = Checkpoints.step(Checkpoints.latest(checkpoints).orElseThrow());
    assertTrue(killedAt < STEPS, "killed before the end (at checkpoint " + killedAt + ")");
    for (Path c : Checkpoints.list(checkpoints)) {
      try (Safetensors st = Safetensors.open(c)) {
        assertTrue(st.names().size() > 10, c + " is whole");
      }
    }

    Process resumed = start(killed, dir.resolve("resumed.log"));
    assertTrue(resumed.waitFor(300, TimeUnit.SECONDS) && resumed.exitValue() == 0, Files.readString(dir.resolve("resumed.log")));
    assertTrue(Files.readString(dir.resolve("resumed.log")).contains("resuming at step"), "it resumed");

    try (Safetensors a = Safetensors.open(straight.resolve("checkpoints/ckpt-" + STEPS + ".safetensors"));
        Safetensors b = Safetensors.open(checkpoints.resolve("ckpt-" + STEPS + ".safetensors"))) {
      assertEquals(a.names(), b.names());
      for (String name : a.names()) {
        double[] x = a.readDoubles(name);
        double[] y = b.readDoubles(name);
        for (int i = 0; i < x.length; i++) {
          assertEquals(x[i], y[i], 1e-6, name + "[" + i + "]");
        }
      }
    }
    try (var files = Files.list(checkpoints)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }
  }
}
