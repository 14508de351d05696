package io.longshort.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code longshort} command line. */
@Command(
    name = "longshort",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Long-Short Transformer graphs for TensorFlow Java: build, compile, train, export.",
    footer = {"", "An error prints one line and exits with 2 (bad input) or 1 (a failure of ours);"
        + " add --debug anywhere (or set LONGSHORT_DEBUG=1) for its trace."},
    subcommands = {QuickstartCommand.class, AttentionDemoCommand.class, GenerateListOpsCommand.class, TrainCommand.class, TrainLmCommand.class, TrainImageCommand.class, EvalCommand.class, EvalImageCommand.class,
        ImportLraCommand.class, ExportGraphsCommand.class, ExportCommand.class, InspectCommand.class,
        PredictCommand.class, GenerateCommand.class, BenchCommand.class, WorkerCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    boolean debug = ErrorReport.debugFromEnvironment() || Arrays.asList(args).contains(ErrorReport.DEBUG_OPTION);
    CommandLine cli = commandLine(debug);
    int status;
    try {
      status = cli.execute(withoutDebug(args));
    } catch (Throwable e) { // an Error (OutOfMemoryError, StackOverflowError) passes picocli's handler
      status = ErrorReport.print(e, cli.getErr(), debug);
    }
    System.exit(status);
  }

  /**
   * {@code args} without {@code --debug}, which is taken anywhere on the line (before a {@code --}),
   * so that it can be added to the end of a failed command as it was typed.
   */
  static String[] withoutDebug(String[] args) {
    List<String> kept = new ArrayList<>();
    boolean options = true;
    for (String a : args) {
      options &= !a.equals("--");
      if (!(options && a.equals(ErrorReport.DEBUG_OPTION))) {
        kept.add(a);
      }
    }
    return kept.toArray(String[]::new);
  }

  /** The configured command line, also used by tests. */
  public static CommandLine commandLine() {
    return commandLine(ErrorReport.debugFromEnvironment());
  }

  /** The configured command line; {@code debug}: an error prints its trace after its line. */
  static CommandLine commandLine(boolean debug) {
    CommandLine cli = new CommandLine(new Main());
    // every command's standard --version prints the same line as `longshort --version`
    cli.getSubcommands().values().forEach(c -> c.getCommandSpec().versionProvider(new Version()));
    // --seed, --batch, --length, --run: one declaration each, with each command's default and requiredness
    SharedOption.configureAll(cli);
    // nan, inf in any case reach the options' own checks (OptionChecks)
    cli.registerConverter(Double.class, new OptionChecks.DoubleConverter());
    cli.registerConverter(double.class, new OptionChecks.DoubleConverter());
    cli.registerConverter(Float.class, v -> new OptionChecks.DoubleConverter().convert(v).floatValue());
    cli.registerConverter(float.class, v -> new OptionChecks.DoubleConverter().convert(v).floatValue());
    // every failure: one line naming what failed and why, 2 for bad input, 1 for ours (ErrorReport)
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> ErrorReport.print(e, commandLine.getErr(), debug));
    return cli;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"longshort " + (v == null ? "(development build)" : v)
          + ", TensorFlow " + org.tensorflow.TensorFlow.version()};
    }
  }
}
