package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainingSettingTest {
  @TempDir
  Path dir;

  @Test
  void shippedSettingsLoadAndFitTheirModels() throws Exception {
    for (String name : TrainingSetting.SHIPPED) {
      TrainingSetting t = TrainingSetting.load(name);
      assertEquals(t, TrainingSetting.parseJson(t.toJson()), name);
      ModelSpec model = ModelConfigs.load(t.model());
      assertTrue(t.length() <= model.maxTokens(), name + ": length fits the model");
      // the window and rank make a valid spec
      model.toBuilder().setAttention(model.attention().toBuilder().setWindow(t.window()).setRank(t.rank()).build()).build();
    }
    TrainingSetting listOps = TrainingSetting.load("lra_listops");
    assertEquals(16, listOps.window());
    assertEquals(2, listOps.rank());
    assertEquals(5000, listOps.steps());
    assertEquals(1000, listOps.optimizer().warmupSteps());
    assertEquals(1e-6, listOps.optimizer().epsilon());
    // the authors' run_listops.sh: --dropout_prob 0 --attention_dropout 0 (the model config keeps 0.1)
    assertEquals(0.0, listOps.dropout());
    assertEquals(0.1, ModelConfigs.load("lra_listops").dropout());
  }

  /**
   * Text and Retrieval as the authors' scripts run them (configs/train/README.md cites the lines):
   * weight decay 0.01 and run_tasks.py's 8000 warm-up updates; Retrieval cuts documents at 4096.
   */
  @Test
  void textAndRetrievalResolveToTheAuthorsScripts() {
    for (String name : new String[] {"lra_text", "lra_retrieval"}) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = Main.commandLine();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      Path run = dir.resolve(name);
      assertEquals(0, cli.execute("train", "--config", name, "--dry-run", "--run", run.toString()), err.toString());
      String o = out.toString();
      int length = name.equals("lra_retrieval") ? 4096 : 4000;
      int steps = name.equals("lra_retrieval") ? 30000 : 20000;
      assertTrue(o.contains(", " + length + " tokens, "), o);
      assertTrue(o.contains("optimizer: adamw lr 1.0E-4, weight decay 0.01, eps 1.0E-6, linear schedule, warm-up 8000"
          + " of " + steps + " updates, batch 32; best checkpoint by valid/accuracy"), o);
      assertTrue(!Files.exists(run), "--dry-run writes nothing");
    }
    // --lr changes the rate only: the setting's weight decay and warm-up stay
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    assertEquals(0, cli.execute("train", "--config", "lra_text", "--lr", "5e-5", "--best-metric", "loss", "--dry-run",
        "--run", dir.resolve("r").toString()));
    assertTrue(out.toString().contains("lr 5.0E-5, weight decay 0.01, eps 1.0E-6, linear schedule, warm-up 8000 of"
        + " 20000 updates, batch 32; best checkpoint by valid/loss"), out.toString());
  }

  @Test
  void badSettingsNameTheField() {
    var e = assertThrows(IllegalArgumentException.class, () -> TrainingSetting.parseJson(
        TrainingSetting.load("lra_listops").toJson().replace("\"steps\" : 5000", "\"steps\" : 4000")));
    assertTrue(e.getMessage().contains("optimizer.totalSteps (5000) must equal steps (4000)"), e.getMessage());
  }

  /** --config supplies the values, options on the command line win. */
  @Test
  void commandLineOptionsWinOverTheSetting() throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    Path listOps = dir.resolve("listops");
    assertEquals(0, cli.execute("generate-listops", "--out", listOps.toString(), "--train", "40", "--valid", "8",
        "--test", "8", "--min-length", "10", "--max-length", "60"), err.toString());
    assertEquals(0, cli.execute("train", "--config", "lra_listops", "--listops", listOps.toString(), "--length", "64",
        "--batch", "4", "--steps", "2", "--eval-every", "2", "--run", dir.resolve("run").toString()), err.toString());
    assertTrue(out.toString().contains("long_short attention (w=16, r=2), 64 tokens, dropout 0.0"), out.toString());
    assertEquals(0.0, trainedModel(dir.resolve("run")).dropout(), "the run trains with the setting's dropout");
    // a classifier's run keeps its best validation accuracy, as the authors' run_tasks.py
    assertTrue(Files.readString(dir.resolve("run/best.json")).contains("\"metric\" : \"valid/accuracy\""),
        Files.readString(dir.resolve("run/best.json")));

    Path run2 = dir.resolve("run2");
    assertEquals(0, cli.execute("train", "--config", "lra_listops", "--listops", listOps.toString(), "--length", "64",
        "--batch", "4", "--steps", "2", "--eval-every", "2", "--dropout", "0.25", "--run", run2.toString()),
        err.toString());
    assertEquals(0.25, trainedModel(run2).dropout(), "--dropout wins over the setting");
  }

  /** The model spec a run trained, from the metadata of its newest checkpoint. */
  private static ModelSpec trainedModel(Path run) throws IOException {
    Path newest;
    try (Stream<Path> files = Files.walk(run)) {
      newest = files.filter(f -> f.getFileName().toString().matches("ckpt-\\d+\\.safetensors"))
          .max(Comparator.comparingLong(f -> Long.parseLong(f.getFileName().toString().replaceAll("\\D", ""))))
          .orElseThrow(() -> new AssertionError("no checkpoint in " + run));
    }
    try (Safetensors file = Safetensors.open(newest)) {
      return ModelSpec.parseJson(file.metadata().get("model"));
    }
  }
}
