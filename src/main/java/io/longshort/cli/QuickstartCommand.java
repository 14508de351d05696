package io.longshort.cli;

import io.longshort.data.ClassificationReader;
import io.longshort.data.Example;
import io.longshort.data.ListOpsTsv;
import io.longshort.data.OnBadRow;
import io.longshort.io.AtomicFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job on embedded defaults: generate ListOps, train the authors' 2 x 64 long-short model
 * on it, evaluate, export a versioned SavedModel and answer a TF Serving-style request with it.
 * Each step is one of the other commands, run as a user would run it.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "The whole path on embedded defaults (no download): generate-listops -> train -> eval -> export"
        + " -> predict. Defaults are scaled to finish in about 5 minutes on 2 cores (expressions of 50-500"
        + " tokens, 600 updates); --paper runs the paper's ListOps setting (96k expressions of 500-2000"
        + " tokens, 5000 updates at lr 1e-4: hours on a CPU).")
final class QuickstartCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--paper", description = "The paper's ListOps setting instead of the 5-minute one.")
  boolean paper;

  @Option(names = "--steps", description = "Updates (default: 600, or 5000 with --paper).")
  Integer steps;

  @Option(names = "--data", defaultValue = "data/quickstart", description = "Folder for the generated data (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--runs", defaultValue = "runs", description = "Folder for run folders (default: ${DEFAULT-VALUE}).")
  Path runs;

  @Option(names = "--savedmodels", defaultValue = "savedmodels", description = "TF Serving model root (default: ${DEFAULT-VALUE}).")
  Path savedModels;

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Override
  public Integer call() throws Exception {
    PrintWriter o = command.commandLine().getOut();
    int minTokens = paper ? 500 : 50;
    int maxTokens = paper ? 2000 : 500;
    int length = paper ? 2000 : 500;
    int updates = steps != null ? steps : paper ? 5000 : 600;
    Path listOps = data.resolve(paper ? "listops-paper" : "listops");
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path run = runs.resolve("quickstart-" + stamp);

    step(o, 1, "generate ListOps (" + minTokens + "-" + maxTokens + " tokens)");
    if (Files.exists(listOps.resolve(ListOpsTsv.TRAIN))) {
      o.println("  " + listOps + " already holds the data");
    } else {
      run("generate-listops", "--out", listOps.toString(), "--train", paper ? "96000" : "8000",
          "--valid", paper ? "2000" : "500", "--test", paper ? "2000" : "500",
          "--min-length", Integer.toString(minTokens), "--max-length", Integer.toString(maxTokens),
          "--seed", Long.toString(seed.value()));
    }

    step(o, 2, "train the authors' ListOps model, long-short attention (w, r) = (16, 2)");
    List<String> train = new ArrayList<>(List.of("train", "--spec", "lra_listops", "--listops", listOps.toString(),
        "--window", "16", "--rank", "2", "--length", Integer.toString(length), "--batch", "32",
        "--steps", Integer.toString(updates), "--eval-every", Integer.toString(Math.max(1, updates / 4)),
        "--eval-batches", paper ? "0" : "8", "--checkpoint-every", Integer.toString(Math.max(1, updates / 4)),
        "--seed", Long.toString(seed.value()), "--run", run.toString()));
    if (paper) {
      train.addAll(List.of("--dropout", "0")); // the authors' run_listops.sh
    } else {
      train.addAll(List.of("--lr", "1e-3", "--warmup", Integer.toString(updates / 10)));
    }
    run(train.toArray(String[]::new));

    step(o, 3, "evaluate on the test split");
    run("eval", "--run", run.toString(), "--listops", listOps.toString(), "--split", "test");

    step(o, 4, "export a versioned SavedModel for TF Serving");
    run("export", "--run", run.toString(), "--name", "quickstart", "--out", savedModels.toString());

    step(o, 5, "predict: a TF Serving REST request on two test expressions");
    List<Example> examples = new ArrayList<>();
    try (ClassificationReader r = ClassificationReader.listOps(listOps.resolve(ListOpsTsv.TEST), length, OnBadRow.FAIL)) {
      while (examples.size() < 2) {
        Example e = r.read();
        if (e == null) {
          break;
        }
        examples.add(e);
      }
    }
    String instances = examples.stream().map(e -> {
      int[] ids = Arrays.copyOf(e.ids(), length);
      int[] mask = new int[length];
      Arrays.fill(mask, 0, e.length(), 1);
      return "{\"input_ids\": " + Arrays.toString(ids) + ", \"mask\": " + Arrays.toString(mask) + "}";
    }).collect(Collectors.joining(", ", "{\"signature_name\": \"classify\", \"instances\": [", "]}"));
    Path request = run.resolve("request.json");
    AtomicFiles.writeString(request, instances + "\n");
    o.println("  request: " + request + " (true labels "
        + examples.stream().map(e -> Integer.toString(e.label())).collect(Collectors.joining(", ")) + ")");
    o.flush();
    run("predict", "--saved-model", savedModels.resolve("quickstart").toString(), "--request", request.toString());
    o.println();
    o.println("done: run " + run + ", SavedModel " + savedModels.resolve("quickstart")
        + "; `tensorboard --logdir " + run + "` shows the curves");
    o.flush();
    return 0;
  }

  private static void step(PrintWriter o, int n, String what) {
    o.println();
    o.println("== " + n + "/5 " + what);
    o.flush();
  }

  /** Runs another command of this CLI with this command's output streams; fails on its failure. */
  private void run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(command.commandLine().getOut());
    cli.setErr(command.commandLine().getErr());
    int rc = cli.execute(args);
    if (rc != 0) {
      throw new IllegalStateException("quickstart: `" + String.join(" ", args) + "` failed (exit status " + rc + ")");
    }
  }
}
