package io.longshort.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --run DIR}, a training run's folder (see {@link SharedOption}). */
final class RunOption extends SharedOption {
  @Option(names = "--run", paramLabel = "DIR", description = "A run folder (checkpoints, best.json, TensorBoard events"
      + " and the run's settings): training writes it and resumes from its newest checkpoint; eval, export and"
      + " generate read one of its checkpoints (--checkpoint).")
  private Path run;

  private RunOption(boolean required) {
    super(null, required);
  }

  /** A command that fails without {@code --run}. */
  static RunOption required() {
    return new RunOption(true);
  }

  /** A command for which {@code --run} is one choice (null when not given). */
  static RunOption optional() {
    return new RunOption(false);
  }

  @Override
  String name() {
    return "--run";
  }

  /** The folder, or null when not given. */
  Path value() {
    return run;
  }
}
