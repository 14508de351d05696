package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelOverrides;
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

  /**
   * The setting's window and rank are long-short's: they reach the model while its attention stays
   * long-short, causal_long_short included (moving train's applySetting must not drop them there),
   * and not under another kind, which keeps its own defaults. Values asked for win over the setting's.
   */
  @Test
  void settingsWindowAndRankFollowLongShortAttentionOnly() throws IOException {
    TrainingSetting listOps = TrainingSetting.load("lra_listops");
    ModelOverrides causal = listOps.modelOverrides(
        ModelOverrides.builder().optAttention(AttentionKind.CAUSAL_LONG_SHORT).build());
    assertEquals(16, causal.window());
    assertEquals(2, causal.rank());
    assertEquals(0.0, causal.dropout());
    // a language model's setting (char_lm_small: causal long-short, w=64, r=1) with w=32, r=2
    TrainingSetting lm = TrainingSetting.parseJson(listOps.toJson().replace("\"lra_listops\"", "\"char_lm_small\"")
        .replace("\"window\" : 16", "\"window\" : 32").replace("\"length\" : 2000", "\"length\" : 256"));
    ModelSpec model = lm.loadModel(ModelOverrides.builder().optAttention(AttentionKind.CAUSAL_LONG_SHORT).build());
    AttentionSpec.CausalLongShort a = assertInstanceOf(AttentionSpec.CausalLongShort.class, model.attention());
    assertEquals(32, a.window());
    assertEquals(2, a.rank());
    assertEquals(0.0, model.dropout());
    // the same through train's options
    Path file = dir.resolve("lm_setting.json");
    Files.writeString(file, lm.toJson());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute("train", "--config", file.toString(), "--attention", "causal_long_short", "--dry-run",
        "--run", dir.resolve("lm_run").toString()), err.toString());
    assertTrue(out.toString().contains("causal_long_short attention (w=32, l=16, r=2)"), out.toString());

    ModelSpec plain = listOps.loadModel(ModelOverrides.builder().build());
    AttentionSpec.LongShort ls = assertInstanceOf(AttentionSpec.LongShort.class, plain.attention());
    assertEquals(16, ls.window());
    assertEquals(2, ls.rank());

    ModelOverrides nystrom = listOps.modelOverrides(ModelOverrides.builder().optAttention(AttentionKind.NYSTROM).build());
    assertEquals(null, nystrom.window());
    assertEquals(null, nystrom.rank());
    ModelSpec nys = listOps.loadModel(ModelOverrides.builder().optAttention(AttentionKind.NYSTROM).build());
    assertEquals(ModelConfigs.load("lra_listops").withDropout(0.0).withAttention(AttentionKind.NYSTROM, b -> { }), nys);

    ModelOverrides given = listOps.modelOverrides(ModelOverrides.builder().optWindow(8).optDropout(0.3).build());
    assertEquals(8, given.window());
    assertEquals(2, given.rank());
    assertEquals(0.3, given.dropout());
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
