package io.longshort.cli;

import picocli.CommandLine.Option;

/** {@code --batch B}, rows per batch (see {@link SharedOption}); each command checks the range it takes. */
final class BatchOption extends SharedOption {
  @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: ${DEFAULT-VALUE}).")
  private Integer batch;

  private BatchOption(Integer batch, String derivedDefault) {
    super(derivedDefault, false);
    this.batch = batch;
  }

  /** A command whose batch is {@code batch} unless given. */
  static BatchOption defaultingTo(int batch) {
    return new BatchOption(batch, null);
  }

  /** A command that derives the batch when none is given ({@code words} say from what, for the help). */
  static BatchOption derivedFrom(String words) {
    return new BatchOption(null, words);
  }

  @Override
  String name() {
    return "--batch";
  }

  /** The batch: given, or the command's default value. */
  int value() {
    if (batch == null) {
      throw new IllegalStateException("--batch has a derived default: use orElse");
    }
    return batch;
  }

  /** The batch given, else {@code derived}. */
  int orElse(int derived) {
    return batch != null ? batch : derived;
  }
}
