package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.AdamW;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TransformerLsSetting;
import io.longshort.weights.Safetensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code train-lm}: a run stopped after a checkpoint and resumed through the command ends with
 * every tensor (weights, optimizer state, the truncated-BPTT cache) of the uninterrupted run's
 * checkpoint, and so does one killed (SIGKILL) after a checkpoint; {@code eval --block --run}
 * scores that checkpoint; a resume with other options is refused by name.
 */
class TrainLmCommandTest {
  static TransformerLsSetting tinySetting() {
    TransformerLsSpec model = TransformerLsSpec.builder().setVocabSize(256).setWidth(8).setInnerWidth(12).setHeads(2)
        .setLayers(2).setMemLen(8).setWindow(4).setChunkSize(2).setChunkRank(1).optDropout(0.1).optEmbDropout(0.1)
        .build();
    OptimizerSpec opt = AdamW.builder().setLearningRate(1e-2).optEpsilon(1e-8).optWeightDecay(0.01)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optWarmup(2).optTotalSteps(100).build();
    return new TransformerLsSetting("tiny", model, 1, 3, List.of(new TransformerLsSetting.Phase(8, 8, 2, 1, 100, 0.1,
        opt)));
  }

  static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int rc = cli.execute(args);
    return new String[] {Integer.toString(rc), out.toString(), err.toString()};
  }

  static String[] trainArgs(Path setting, Path corpus, Path run, int steps, String... more) {
    List<String> a = new java.util.ArrayList<>(List.of("train-lm", "--lm", setting.toString(), "--corpus",
        corpus.toString(), "--split", "all", "--run", run.toString(), "--steps", Integer.toString(steps),
        "--checkpoint-every", "3", "--keep", "2", "--log-every", "3"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void stoppedAndResumedRunEndsWithTheUninterruptedRunsCheckpoint(@TempDir Path dir) throws Exception {
    Path setting = dir.resolve("tiny.json");
    Files.writeString(setting, tinySetting().toJson());
    byte[] bytes = new byte[3000];
    new Random(4).nextBytes(bytes);
    Path corpus = dir.resolve("corpus.bin");
    Files.write(corpus, bytes);

    String[] whole = run(trainArgs(setting, corpus, dir.resolve("a"), 6));
    assertEquals("0", whole[0], whole[2]);
    assertTrue(whole[1].contains("step 6  loss"), whole[1]);
    // --recompute: the same training (the mean loss of steps 1-3 to the 4 decimals printed)
    String[] recomputed = run(trainArgs(setting, corpus, dir.resolve("r"), 3, "--recompute"));
    assertEquals("0", recomputed[0], recomputed[2]);
    assertTrue(recomputed[1].contains("layers recomputed in the backward pass"), recomputed[1]);
    Matcher plain3 = Pattern.compile("step 3  loss \\S+").matcher(whole[1]);
    Matcher recomputed3 = Pattern.compile("step 3  loss \\S+").matcher(recomputed[1]);
    assertTrue(plain3.find() && recomputed3.find(), whole[1] + recomputed[1]);
    assertEquals(plain3.group(), recomputed3.group());
    String[] first = run(trainArgs(setting, corpus, dir.resolve("b"), 3)); // stopped after its step-3 checkpoint
    assertEquals("0", first[0], first[2]);
    String[] rest = run(trainArgs(setting, corpus, dir.resolve("b"), 6));
    assertEquals("0", rest[0], rest[2]);
    assertTrue(rest[1].contains("resumed at step 3"), rest[1]);

    Path a6 = dir.resolve("a/checkpoints/ckpt-6.safetensors");
    Path b6 = dir.resolve("b/checkpoints/ckpt-6.safetensors");
    try (Safetensors a = Safetensors.open(a6); Safetensors b = Safetensors.open(b6)) {
      assertEquals(a.names(), b.names());
      assertTrue(a.names().contains("bptt/cache") && a.names().contains("in_emb.weight"), a.names().toString());
      for (String name : a.names()) {
        if (!a.info(name).dtype().isFloating()) {
          assertArrayEquals(a.readInts(name), b.readInts(name), name);
        } else {
          assertArrayEquals(a.readDoubles(name), b.readDoubles(name), 0.0, name);
        }
      }
    }
    assertTrue(Files.list(dir.resolve("a")).anyMatch(p -> p.getFileName().toString().startsWith("events.out.tfevents")),
        "TensorBoard events in the run folder");

    // eval --block reads the run's checkpoint (model from its metadata); both runs score the same
    String[] evalA = run("eval", "--run", dir.resolve("a").toString(), "--corpus", corpus.toString(), "--split", "all",
        "--block", "8");
    String[] evalB = run("eval", "--run", dir.resolve("b").toString(), "--checkpoint", "6", "--corpus",
        corpus.toString(), "--split", "all", "--block", "8");
    assertEquals("0", evalA[0], evalA[2]);
    assertEquals("0", evalB[0], evalB[2]);
    Matcher ma = Pattern.compile("bits/char (\\d+\\.\\d+)  \\(").matcher(evalA[1]);
    Matcher mb = Pattern.compile("bits/char (\\d+\\.\\d+)  \\(").matcher(evalB[1]);
    assertTrue(ma.find() && mb.find(), evalA[1] + evalB[1]);
    assertEquals(ma.group(1), mb.group(1));
    double bpc = Double.parseDouble(ma.group(1));
    assertTrue(bpc > 4 && bpc < 9, "random bytes score near 8 bits/char: " + bpc);

    // --init-from starts a new run from a checkpoint's weights (an lr of 1e-30 leaves them as they were)
    String[] init = run(trainArgs(setting, corpus, dir.resolve("c"), 1, "--init-from", a6.toString(), "--lr", "1e-30"));
    assertEquals("0", init[0], init[2]);
    assertTrue(init[1].contains("weights from"), init[1]);
    try (Safetensors a = Safetensors.open(a6);
        Safetensors c = Safetensors.open(dir.resolve("c/checkpoints/ckpt-1.safetensors"))) {
      int compared = 0;
      for (String name : a.names()) {
        if (!name.contains("/")) { // the parameters (optimizer slots and the cache are under optimizer/, bptt/)
          assertArrayEquals(a.readDoubles(name), c.readDoubles(name), 1e-6, name);
          compared++;
        }
      }
      assertTrue(compared > 10, "parameters compared: " + compared);
    }

    // a resume with another block is refused by name
    String[] other = run(trainArgs(setting, corpus, dir.resolve("a"), 9, "--block", "4"));
    assertEquals("2", other[0]);
    assertTrue(other[2].contains("--block") && other[2].contains("it was 8, now 4"), other[2]);
    // --accumulate must divide the lanes, and a run resumes with the groups it started with
    String[] uneven = run(trainArgs(setting, corpus, dir.resolve("d"), 3, "--accumulate", "3"));
    assertEquals("2", uneven[0]);
    assertTrue(uneven[2].contains("--accumulate") && uneven[2].contains("3") && uneven[2].contains("2 lanes"),
        uneven[2]);
    String[] regrouped = run(trainArgs(setting, corpus, dir.resolve("a"), 9, "--accumulate", "2"));
    assertEquals("2", regrouped[0]);
    assertTrue(regrouped[2].contains("--accumulate"), regrouped[2]);
  }

  /**
   * SIGKILL (no shutdown hook, no finally) of a train-lm process once it has checkpointed, then a
   * resume through the command: the end checkpoint equals the uninterrupted run's, every tensor.
   */
  @Test
  void killedAndResumedRunEndsWithTheUninterruptedRunsCheckpoint(@TempDir Path dir) throws Exception {
    Path setting = dir.resolve("tiny.json");
    Files.writeString(setting, tinySetting().toJson());
    byte[] bytes = new byte[20000];
    new Random(5).nextBytes(bytes);
    Path corpus = dir.resolve("corpus.bin");
    Files.write(corpus, bytes);
    int steps = 300;
    String[] args = trainArgs(setting, corpus, dir.resolve("killed"), steps);
    args[java.util.Arrays.asList(args).indexOf("--checkpoint-every") + 1] = "10";
    List<String> cmd = TestJvm.command(List.of("-Xmx1g"), Main.class, List.of(args));
    Path log = dir.resolve("killed.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Path checkpoints = dir.resolve("killed/checkpoints");
    long deadline = System.nanoTime() + 300_000_000_000L;
    while (p.isAlive() && io.longshort.train.Checkpoints.list(checkpoints).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    p.destroyForcibly(); // SIGKILL on Unix
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    long killedAt = io.longshort.train.Checkpoints.latest(checkpoints).map(io.longshort.train.Checkpoints::step)
        .orElse(0L);
    assertTrue(killedAt > 0 && killedAt < steps, "killed after a checkpoint and before the end: step " + killedAt
        + "\n" + Files.readString(log));

    System.out.printf("train-lm killed (SIGKILL) with its newest checkpoint at step %d of %d%n", killedAt, steps);
    String[] rest = run(args);
    assertEquals("0", rest[0], rest[2]);
    assertTrue(rest[1].contains("resumed at step " + killedAt), rest[1]);
    String[] whole = run(trainArgs(setting, corpus, dir.resolve("whole"), steps));
    assertEquals("0", whole[0], whole[2]);
    String end = "ckpt-" + steps + ".safetensors";
    try (Safetensors a = Safetensors.open(dir.resolve("whole/checkpoints").resolve(end));
        Safetensors b = Safetensors.open(checkpoints.resolve(end))) {
      assertEquals(a.names(), b.names());
      for (String name : a.names()) {
        if (a.info(name).dtype().isFloating()) {
          assertArrayEquals(a.readDoubles(name), b.readDoubles(name), 0.0, name);
        }
      }
    }
  }

  @Test
  void helpExitsZero() {
    String[] help = run("train-lm", "--help");
    assertEquals("0", help[0]);
    assertTrue(help[1].contains("--zero-cache") && help[1].contains("--mem-len"), help[1]);
  }
}
