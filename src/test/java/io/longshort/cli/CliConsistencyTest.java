package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The command line as one consistent layer: help everywhere, one meaning per option name. */
class CliConsistencyTest {
  /** Options that name a model or its weights: each keeps one meaning (and parameter label) everywhere. */
  private static final List<String> MODEL_OPTIONS =
      List.of("--run", "--bundle", "--spec", "--checkpoint", "--saved-model", "--weights", "--config");

  private static String[] run(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(expected, cli.execute(args), String.join(" ", args) + ": " + err + out);
    return new String[] {out.toString(), err.toString()};
  }

  private static Map<String, CommandLine> commands() {
    Map<String, CommandLine> all = new HashMap<>(Main.commandLine().getSubcommands());
    all.remove("help");
    return all;
  }

  @Test
  void everyCommandHasHelpWrappedByPicocli() {
    assertTrue(commands().size() >= 14, commands().keySet().toString());
    int width = Main.commandLine().getUsageHelpWidth();
    for (String name : commands().keySet()) {
      String help = run(0, name, "--help")[0];
      assertTrue(help.startsWith("Usage: longshort " + name), name + ":\n" + help);
      for (String line : help.split("\n")) {
        assertTrue(line.length() <= width, name + ": help line longer than " + width + ": " + line);
      }
      // descriptions are one string each, which picocli wraps: no sentence broken by hand mid-line
      CommandLine.Model.CommandSpec spec = commands().get(name).getCommandSpec();
      for (String paragraph : spec.usageMessage().description()) {
        assertFalse(paragraph.matches(".*[a-z,]$") && !paragraph.endsWith(":"),
            name + ": a description line that breaks mid-sentence: " + paragraph);
      }
    }
  }

  @Test
  void exportKeepsTheStandardVersionOption() {
    assertTrue(run(0, "export", "--version")[0].startsWith("longshort "));
    assertTrue(run(0, "export", "--help")[0].contains("--model-version=N"));
  }

  @Test
  void modelOptionsMeanOneThingEverywhere() {
    Map<String, String> label = new HashMap<>();
    Map<String, String> where = new HashMap<>();
    for (var e : commands().entrySet()) {
      assertEquals(null, e.getValue().getCommandSpec().findOption("--model"),
          e.getKey() + ": --model is ambiguous (use --spec, --run, --bundle or --saved-model)");
      for (String option : MODEL_OPTIONS) {
        OptionSpec o = e.getValue().getCommandSpec().findOption(option);
        if (o == null) {
          continue;
        }
        String previous = label.putIfAbsent(option, o.paramLabel());
        where.putIfAbsent(option, e.getKey());
        assertEquals(previous == null ? o.paramLabel() : previous, o.paramLabel(),
            option + " takes " + o.paramLabel() + " in " + e.getKey() + " but " + previous + " in " + where.get(option));
      }
    }
    assertEquals("NAME|FILE", label.get("--spec"));
    assertEquals("best|latest|STEP|PATH", label.get("--checkpoint"));
  }

  /**
   * --seed, --batch, --length and --run: one declaration each (SeedOption, BatchOption, LengthOption,
   * RunOption), so every command that takes one takes the same type under the same label and help
   * text; only the default (a value, or the words for one the command derives) and whether it is
   * required differ.
   */
  @Test
  void sharedOptionsAreOneDeclarationEach() {
    Map<String, String> first = new HashMap<>();
    Map<String, Integer> count = new HashMap<>();
    for (var e : commands().entrySet()) {
      for (String option : List.of("--seed", "--batch", "--length", "--run")) {
        OptionSpec o = e.getValue().getCommandSpec().findOption(option);
        if (o == null) {
          continue;
        }
        count.merge(option, 1, Integer::sum);
        String text = String.join(" ", o.description()).replaceFirst(" \\(default: [^)]*\\)\\.$", ".");
        String shape = o.type().getSimpleName() + " " + o.paramLabel() + " " + text;
        String previous = first.putIfAbsent(option, shape);
        assertEquals(previous == null ? shape : previous, shape, option + " in " + e.getKey());
      }
    }
    assertEquals(Map.of("--seed", 9, "--batch", 9, "--length", 4, "--run", 7), count);
    String train = run(0, "train", "--help")[0];
    assertTrue(train.contains("--run=DIR [--seed=N]"), "train requires --run:\n" + train);
    assertTrue(train.replaceAll("\\s+", " ").contains("Rows per batch (default: the --config setting's, else 32)."), train);
    String lm = run(0, "train-lm", "--help")[0].replaceAll("\\s+", " ");
    assertTrue(lm.contains("same numbers (default: the setting's)."), lm);
    assertTrue(run(0, "attention-demo", "--help")[0].replaceAll("\\s+", " ")
        .contains("Tokens per sequence (default: 4096)."));
    String err = run(2, "train-lm", "--corpus", "x")[1];
    assertTrue(err.contains("Missing required option: '--run=DIR'"), err);
  }

  @Test
  void modelSourceErrorsNameTheOptions() {
    String err = run(2, "export", "--bundle", "nowhere", "--checkpoint", "best")[1];
    assertTrue(err.contains("--checkpoint (best) goes with --run or --spec"), err);
    err = run(2, "generate", "--spec", "char_lm_small", "--checkpoint", "latest")[1];
    assertTrue(err.contains("--checkpoint latest names a checkpoint of a run"), err);
    err = run(2, "export", "--run", "a", "--bundle", "b")[1];
    assertTrue(err.contains("give only one of --run DIR, --bundle DIR or --spec NAME|FILE (got 2)"), err);
    err = run(2, "export", "--name", "x")[1];
    assertTrue(err.contains("no model: give --run DIR, --bundle DIR or --spec NAME|FILE"), err);
    err = run(2, "export", "--spec", "lra_listops")[1];
    assertTrue(err.contains("--spec needs --checkpoint PATH"), err);
    err = run(2, "eval", "--bundle", "b", "--listops", "x")[1];
    assertTrue(err.contains("give --run DIR"), err);
    err = run(2, "predict", "--saved-model", "y", "--model", "x")[1];
    assertTrue(err.contains("Unknown options: '--model'"), err);
  }
}
