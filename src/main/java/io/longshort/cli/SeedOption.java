package io.longshort.cli;

import picocli.CommandLine.Option;

/** {@code --seed N}, the one random seed of a command (see {@link SharedOption}). */
final class SeedOption extends SharedOption {
  @Option(names = "--seed", paramLabel = "N",
      description = "The random seed: the same seed, data and options give the same numbers (default: ${DEFAULT-VALUE}).")
  private Long seed;

  private SeedOption(Long seed, String derivedDefault) {
    super(derivedDefault, false);
    this.seed = seed;
  }

  /** A command whose seed is {@code seed} unless given. */
  static SeedOption defaultingTo(long seed) {
    return new SeedOption(seed, null);
  }

  /** A command that derives the seed when none is given ({@code words} say from what, for the help). */
  static SeedOption derivedFrom(String words) {
    return new SeedOption(null, words);
  }

  @Override
  String name() {
    return "--seed";
  }

  /** The seed: given, or the command's default value. */
  long value() {
    if (seed == null) {
      throw new IllegalStateException("--seed has a derived default: use orElse");
    }
    return seed;
  }

  /** The seed given, else {@code derived}. */
  long orElse(long derived) {
    return seed != null ? seed : derived;
  }
}
