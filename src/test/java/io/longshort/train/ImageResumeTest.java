package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.cli.Main;
import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.data.images.SyntheticImages;
import io.longshort.spec.VisionSpec;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image training checkpoints and resumes exactly: stopped and resumed in one process, or killed
 * with SIGKILL and restarted, it ends with the uninterrupted run's weights and optimizer state, bit
 * for bit.
 */
class ImageResumeTest {
  @TempDir
  Path dir;

  private static void assertSameState(Path a, Path b) throws IOException {
    try (Safetensors x = Safetensors.open(a); Safetensors y = Safetensors.open(b)) {
      assertEquals(x.names(), y.names());
      assertTrue(x.names().stream().anyMatch(n -> n.startsWith("optimizer/")), "optimizer state is checkpointed");
      for (String name : x.names()) {
        assertArrayEquals(x.readDoubles(name), y.readDoubles(name), 0.0, name);
      }
    }
  }

  @Test
  void stoppedAndResumedEqualsUninterrupted() throws IOException {
    VisionSpec spec = ImageTrainerTest.small(2);
    ImageSet train = SyntheticImages.generate(2, 64, 16, 1);
    ImageSet eval = SyntheticImages.generate(2, 16, 16, 2);
    OptimizerSpec opt = ImageTrainerTest.adamw(8);
    Path straight = dir.resolve("straight");
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), straight, 3, 5)) {
      t.train(train, eval, 8, 4, new ImageTrainer.Listener() {});
    }
    Path stopped = dir.resolve("stopped");
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), stopped, 3, 5)) {
      t.train(train, eval, 5, 4, new ImageTrainer.Listener() {});
    }
    // checkpoints at 3 and at the end of the first session (5)
    try (ImageTrainer t = new ImageTrainer(spec, opt, 8, 3, new Augmenter(2, true, 3), stopped, 3, 5)) {
      assertEquals(5, t.updates(), "resumed where it stopped");
      t.train(train, eval, 8, 4, new ImageTrainer.Listener() {});
    }
    assertSameState(straight.resolve("checkpoints/ckpt-8.safetensors"), stopped.resolve("checkpoints/ckpt-8.safetensors"));
    assertTrue(Files.exists(stopped.resolve("best.json")), "evaluations record the best checkpoint");
  }

  /** The images are part of what a resume checks: other images (here more of them) are refused by fingerprint. */
  @Test
  void resumingOnOtherImagesIsRefused() throws Exception {
    Path model = dir.resolve("fp.json");
    Files.writeString(model, ImageTrainerTest.small(2).toJson());
    Path run = dir.resolve("fp-run");
    java.util.function.Function<String, String[]> train = size -> new String[] {"train-image", "--spec",
        model.toString(), "--train-size", size, "--eval-size", "16", "--steps", "4", "--batch", "8", "--seed", "3",
        "--checkpoint-every", "2", "--run", run.toString()};
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cli = Main.commandLine();
    cli.setOut(new java.io.PrintWriter(new java.io.StringWriter()));
    cli.setErr(new java.io.PrintWriter(err));
    assertEquals(0, cli.execute(train.apply("64")), err.toString());
    // run again when it has reached its last step: nothing to train, its weights evaluated as they are
    java.io.StringWriter again = new java.io.StringWriter();
    cli.setOut(new java.io.PrintWriter(again));
    assertEquals(0, cli.execute(train.apply("64")), err.toString());
    assertTrue(again.toString().contains("held-out accuracy "), again.toString());
    // (the same images resume: killedWithSigkillAndRestartedEqualsUninterrupted)
    assertEquals(2, cli.execute(train.apply("72")));
    assertTrue(err.toString().matches("(?s)error: run folder " + java.util.regex.Pattern.quote(run.toString())
        + " was trained on other data: its data fingerprint is sha256:[0-9a-f]{16} \\(ckpt-4.safetensors\\), this"
        + " data's is sha256:[0-9a-f]{16}; to resume it, .*"), err.toString());
  }

  private List<String> args(Path model, Path run) {
    return List.of("train-image", "--spec", model.toString(), "--train-size", "64", "--eval-size", "16",
        "--steps", "60", "--batch", "8", "--seed", "3", "--checkpoint-every", "5", "--keep", "2", "--run", run.toString());
  }

  private Process start(Path model, Path run, Path log) throws IOException {
    List<String> cmd = TestJvm.command(List.of(), Main.class, args(model, run));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void killedWithSigkillAndRestartedEqualsUninterrupted() throws Exception {
    Path model = dir.resolve("small.json");
    Files.writeString(model, ImageTrainerTest.small(2).toJson());
    Path straight = dir.resolve("straight");
    Process p = start(model, straight, dir.resolve("straight.log"));
    assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, Files.readString(dir.resolve("straight.log")));

    Path killed = dir.resolve("killed");
    Process victim = start(model, killed, dir.resolve("killed.log"));
    Path checkpoints = killed.resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (Checkpoints.list(checkpoints).isEmpty() && victim.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(victim.isAlive(), "the run must still be going when it is killed: "
        + Files.readString(dir.resolve("killed.log")));
    Runtime.getRuntime().exec(new String[] {"kill", "-9", Long.toString(victim.pid())}).waitFor();
    victim.waitFor(60, TimeUnit.SECONDS);
    long killedAt = Checkpoints.step(Checkpoints.latest(checkpoints).orElseThrow());
    assertTrue(killedAt < 60, "killed before the end (at checkpoint " + killedAt + ")");

    Process resumed = start(model, killed, dir.resolve("resumed.log"));
    assertTrue(resumed.waitFor(300, TimeUnit.SECONDS) && resumed.exitValue() == 0,
        Files.readString(dir.resolve("resumed.log")));
    assertTrue(Files.readString(dir.resolve("resumed.log")).contains("resuming at step " + killedAt + " of 60"),
        Files.readString(dir.resolve("resumed.log")));
    assertSameState(straight.resolve("checkpoints/ckpt-60.safetensors"), checkpoints.resolve("ckpt-60.safetensors"));
  }
}
