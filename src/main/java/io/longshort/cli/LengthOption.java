package io.longshort.cli;

import picocli.CommandLine.Option;

/** {@code --length N}, tokens per sequence (see {@link SharedOption}); each command checks the range it takes. */
final class LengthOption extends SharedOption {
  @Option(names = "--length", paramLabel = "N", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
  private Integer length;

  private LengthOption(Integer length, String derivedDefault) {
    super(derivedDefault, false);
    this.length = length;
  }

  /** A command whose length is {@code length} unless given. */
  static LengthOption defaultingTo(int length) {
    return new LengthOption(length, null);
  }

  /** A command that derives the length when none is given ({@code words} say from what, for the help). */
  static LengthOption derivedFrom(String words) {
    return new LengthOption(null, words);
  }

  @Override
  String name() {
    return "--length";
  }

  /** The length: given, or the command's default value. */
  int value() {
    if (length == null) {
      throw new IllegalStateException("--length has a derived default: use orElse");
    }
    return length;
  }

  /** The length given, or null where the command derives it. */
  Integer valueOrNull() {
    return length;
  }

  /** The length given, else {@code derived}. */
  int orElse(int derived) {
    return length != null ? length : derived;
  }
}
