package io.longshort.cli;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What the shared-option mixins ({@link SeedOption}, {@link BatchOption}, {@link LengthOption},
 * {@link RunOption}) have in common: one declaration (name, type, help text) each, and what may
 * differ per command, given where the command declares the mixin: its default, either a value
 * ({@code SeedOption.defaultingTo(0)}, shown by the help's {@code ${DEFAULT-VALUE}}) or the words
 * for a default the command derives ({@code LengthOption.derivedFrom("the model's maxLength")}),
 * and whether the command requires it. {@link #configureAll} puts those into each command's
 * help and parsing.
 */
abstract class SharedOption {
  private final String derivedDefault;
  private final boolean required;

  /**
   * @param derivedDefault the words for a default the command derives, or null: the help shows the
   *     option's initial value
   * @param required whether the command fails without it (picocli's "Missing required option")
   */
  SharedOption(String derivedDefault, boolean required) {
    this.derivedDefault = derivedDefault;
    this.required = required;
  }

  /** The option's name, e.g. {@code --seed}. */
  abstract String name();

  /** Whether the command line gave this option (otherwise the command's default holds). */
  boolean given(CommandSpec command) {
    return command.commandLine().getParseResult().hasMatchedOption(name());
  }

  /**
   * Every command's shared options as that command declares them: a derived default's words in
   * place of {@code ${DEFAULT-VALUE}}, and required where the command requires it (picocli reads
   * both from the annotation, which one declaration shares).
   */
  static void configureAll(CommandLine cli) {
    for (CommandLine sub : cli.getSubcommands().values()) {
      configure(sub.getCommandSpec(), sub.getCommandSpec());
    }
  }

  private static void configure(CommandSpec command, CommandSpec mixinHolder) {
    for (CommandSpec mixin : mixinHolder.mixins().values()) {
      if (mixin.userObject() instanceof SharedOption shared) {
        shared.applyTo(command);
      }
      configure(command, mixin); // mixins of mixins (ModelSourceOptions holds a RunOption)
    }
  }

  private void applyTo(CommandSpec command) {
    if (derivedDefault == null && !required) {
      return;
    }
    OptionSpec option = command.findOption(name());
    OptionSpec.Builder changed = option.toBuilder();
    // the builder's description is the declared text, before picocli fills in ${DEFAULT-VALUE}
    String[] description = Arrays.stream(changed.description())
        .map(d -> derivedDefault == null ? d : d.replace("${DEFAULT-VALUE}", derivedDefault))
        .toArray(String[]::new);
    command.remove(option);
    command.addOption(changed.description(description).required(required).build());
  }
}
