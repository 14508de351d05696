package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One command trains every bidirectional kind on the same data and budget ({@code train
 * --attention KIND}), and a ModelSpec JSON selects a kind too ({@code train --spec file.json}).
 */
class TrainEveryKindTest {
  static final List<String> KINDS = List.of("long_short", "full", "linformer", "nystrom", "performer", "longformer", "bigbird");

  @TempDir
  Path dir;

  private String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(0, cli.execute(args), err.toString() + out);
    return out.toString();
  }

  private Path listOps() {
    Path d = dir.resolve("listops");
    run("generate-listops", "--out", d.toString(), "--train", "24", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60");
    return d;
  }

  private static String[] budget(Path data, Path run, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("train", "--listops", data.toString(), "--length", "64",
        "--batch", "4", "--steps", "3", "--eval-every", "3", "--eval-batches", "1", "--run", run.toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void everyKindTrainsFromOneCommand() throws Exception {
    Path data = listOps();
    for (String kind : KINDS) {
      Path run = dir.resolve("run_" + kind);
      // bigbird's default blocks of 16 need 8 blocks (128 positions) for 3 random ones
      String out = kind.equals("bigbird")
          ? run(budget(data, run, "--config", "lra_listops", "--attention", kind, "--block-size", "8"))
          : run(budget(data, run, "--config", "lra_listops", "--attention", kind));
      assertTrue(out.contains(kind + " attention ("), kind + ": " + out);
      assertTrue(Files.exists(run.resolve("checkpoints").resolve("ckpt-3.safetensors")), kind + ": " + out);
    }
  }

  @Test
  void modelSpecJsonSelectsTheKind() throws Exception {
    Path data = listOps();
    Path model = dir.resolve("nystrom_listops.json");
    Files.writeString(model, """
        {"task": "classifier", "vocabSize": 18, "maxLength": 65, "width": 32, "layers": 2, "hiddenWidth": 64,
         "attention": {"kind": "nystrom", "width": 32, "heads": 2, "landmarks": 8, "convKernel": 3},
         "pooling": "cls", "classes": 10}
        """);
    Path run = dir.resolve("run_json");
    String out = run(budget(data, run, "--spec", model.toString()));
    assertTrue(out.contains("nystrom attention (landmarks=8, conv=3)"), out);
    assertTrue(Files.exists(run.resolve("checkpoints").resolve("ckpt-3.safetensors")), out);
  }
}
