package io.longshort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
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
    List<String> cmd = TestJvm.command(MixedAttentionClassifier.class,
        "--run", run.toString(), "--export", export.toString(), "--steps", Integer.toString(STEPS),
        "--batch", "16", "--checkpoint-every", "20");
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
      if (line.startsWith("eval at step ")) { // the trainer's progress: "eval at step 40: loss 0.6931 ..."
        losses.add(Double.parseDouble(line.replaceAll(".*: loss ([0-9.]+).*", "$1")));
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

  /** Reviews of random words: "pos" rows hold praise words, "neg" rows complaints, among neutral words. */
  private static void reviews(Path file, long seed, int rows) throws IOException {
    String[] pos = {"great", "good", "fine"};
    String[] neg = {"awful", "bad", "poor"};
    String[] neutral = {"the", "movie", "was", "plot", "and", "cast"};
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
    StringBuilder out = new StringBuilder();
    for (int r = 0; r < rows; r++) {
      boolean positive = rnd.nextBoolean();
      StringBuilder text = new StringBuilder();
      for (int w = 0; w < 6; w++) {
        String[] from = w % 3 == 1 ? (positive ? pos : neg) : neutral;
        text.append(w == 0 ? "" : " ").append(from[rnd.nextInt(from.length)]);
      }
      out.append("{\"text\": \"").append(text).append("\", \"label\": \"").append(positive ? "pos" : "neg")
          .append("\"}\n");
    }
    Files.writeString(file, out);
  }

  @Test
  void textFileClassifierTrainsASpecOnAUsersJsonlAndExports() throws Exception {
    Path train = dir.resolve("train.jsonl");
    Path valid = dir.resolve("valid.jsonl");
    reviews(train, 1, 480);
    reviews(valid, 2, 96);
    Path run = dir.resolve("text_run");
    TextFileClassifier.Result r = TextFileClassifier.run(Path.of("examples/specs/tiny_text_classifier.json"), train,
        valid, run, dir.resolve("savedmodels"), 120);
    assertEquals(120, r.training().steps());
    assertTrue(r.training().lastEval().accuracy() > 0.9, "validation accuracy " + r.training().lastEval().accuracy());
    assertTrue(Files.readString(run.resolve("labels.json")).contains("\"label\""), "the label field is recorded");
    // the SavedModel loads and tells a praise from a complaint
    String[] texts = {"the plot great was good cast", "the movie awful and bad plot"};
    int[] ids = new int[2 * 64];
    int[] mask = new int[2 * 64];
    for (int row = 0; row < 2; row++) {
      byte[] b = texts[row].getBytes(java.nio.charset.StandardCharsets.UTF_8);
      for (int t = 0; t < b.length; t++) {
        ids[row * 64 + t] = (b[t] & 0xFF) + 1; // byte ids: byte + 1, 0 is padding
        mask[row * 64 + t] = 1;
      }
    }
    try (org.tensorflow.SavedModelBundle bundle = org.tensorflow.SavedModelBundle.load(r.version().toString(),
        io.longshort.export.SavedModelWriter.TAG);
        org.tensorflow.Tensor idsT = io.longshort.graph.core.HostTensors.ints(new long[] {2, 64}, ids);
        org.tensorflow.Tensor maskT = io.longshort.graph.core.HostTensors.ints(new long[] {2, 64}, mask)) {
      var sig = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      try (var out = bundle.session().runner().feed(sig.getInputsMap().get("input_ids").getName(), idsT)
          .feed(sig.getInputsMap().get("mask").getName(), maskT)
          .fetch(sig.getOutputsMap().get("logits").getName()).run()) {
        double[] logits = io.longshort.graph.core.HostTensors.toDoubles(out.get(0));
        // class ids are positions in the run's label names (labels.json)
        List<String> names = namesOf(run);
        assertEquals("pos", names.get(logits[0] > logits[1] ? 0 : 1), "praise: " + java.util.Arrays.toString(logits));
        assertEquals("neg", names.get(logits[2] > logits[3] ? 0 : 1), "complaint: " + java.util.Arrays.toString(logits));
      }
    }
  }

  private static List<String> namesOf(Path run) throws IOException {
    List<String> names = new ArrayList<>();
    new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.resolve("labels.json").toFile()).get("names")
        .forEach(n -> names.add(n.asText()));
    return names;
  }
}
