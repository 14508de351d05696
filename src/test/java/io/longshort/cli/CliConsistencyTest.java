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
