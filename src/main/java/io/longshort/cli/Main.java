package io.longshort.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code longshort} command line. */
@Command(
    name = "longshort",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Long-Short Transformer graphs for TensorFlow Java: build, compile, train, export.",
    subcommands = {QuickstartCommand.class, AttentionDemoCommand.class, GenerateListOpsCommand.class, TrainCommand.class, TrainLmCommand.class, TrainImageCommand.class, EvalCommand.class, EvalImageCommand.class,
        ImportLraCommand.class, ExportGraphsCommand.class, ExportCommand.class, InspectCommand.class,
        PredictCommand.class, GenerateCommand.class, BenchCommand.class, WorkerCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, also used by tests. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // every command's standard --version prints the same line as `longshort --version`
    cli.getSubcommands().values().forEach(c -> c.getCommandSpec().versionProvider(new Version()));
    // nan, inf in any case reach the options' own checks (OptionChecks)
    cli.registerConverter(Double.class, new OptionChecks.DoubleConverter());
    cli.registerConverter(double.class, new OptionChecks.DoubleConverter());
    cli.registerConverter(Float.class, v -> new OptionChecks.DoubleConverter().convert(v).floatValue());
    cli.registerConverter(float.class, v -> new OptionChecks.DoubleConverter().convert(v).floatValue());
    // bad input: one clear line, not a stack trace
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof java.io.IOException) {
        commandLine.getErr().println("error: " + e.getMessage());
        return 2;
      }
      throw e;
    });
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
