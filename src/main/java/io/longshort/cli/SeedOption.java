package io.longshort.cli;

import picocli.CommandLine.Option;

/** {@code --seed N}, the one random seed of a command (see {@link SharedOption}). */
final class SeedOption extends SharedOption<Long> {
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

  @Override
  Long valueOrNull() {
    return seed;
  }
}
