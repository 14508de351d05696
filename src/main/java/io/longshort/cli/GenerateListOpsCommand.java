package io.longshort.cli;

import io.longshort.data.ListOpsGenerator;
import io.longshort.data.ListOpsSplits;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Generates the LRA ListOps data set (the LRA generator's algorithm, seeded). */
@Command(name = "generate-listops", mixinStandardHelpOptions = true,
    description = "Generates LRA ListOps expressions with the LRA generator's algorithm: operators MIN, MAX, MED"
        + " (median, truncated), SM (sum mod 10) over digits 0-9; depth <= 10; 2..10 arguments per"
        + " operator; token count strictly between --min-length and --max-length; duplicates dropped."
        + " Writes basic_train.tsv, basic_val.tsv and basic_test.tsv in the LRA TSV form (header"
        + " Source<TAB>Target, parenthesised source, label = the expression's value 0..9; no expression in"
        + " two splits). Files are written under temporary names and renamed when all are complete. Prints"
        + " the counts and the label histogram of each split. A request for more distinct expressions than"
        + " the length range holds is refused before anything is drawn; existing split files are refused"
        + " unless --overwrite.")
final class GenerateListOpsCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--out", required = true, description = "Folder for the three .tsv files (created if missing).")
  Path out;

  @Option(names = "--train", defaultValue = "96000", description = "Training expressions (default: ${DEFAULT-VALUE}).")
  int train;

  @Option(names = "--valid", defaultValue = "2000", description = "Validation expressions, basic_val.tsv (default: ${DEFAULT-VALUE}).")
  int valid;

  @Option(names = "--test", defaultValue = "2000", description = "Test expressions (default: ${DEFAULT-VALUE}).")
  int test;

  @Option(names = "--min-length", defaultValue = "" + ListOpsGenerator.DEFAULT_MIN_LENGTH,
      description = "Keep expressions with more tokens than this (default: ${DEFAULT-VALUE}).")
  int minLength;

  @Option(names = "--max-length", defaultValue = "" + ListOpsGenerator.DEFAULT_MAX_LENGTH,
      description = "Keep expressions with fewer tokens than this (default: ${DEFAULT-VALUE}).")
  int maxLength;

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--overwrite", description = "Replace basic_train.tsv, basic_val.tsv and basic_test.tsv in --out"
      + " when generate-listops wrote them (a file it did not write, or one changed since, is refused by name);"
      + " without it existing files are refused.")
  boolean overwrite;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    check(train >= 0, "--train", train);
    check(valid >= 0, "--valid", valid);
    check(test >= 0, "--test", test);
    check(minLength >= 0, "--min-length", minLength);
    if (maxLength <= minLength + 1) {
      throw new IllegalArgumentException("--max-length (" + maxLength + ") must be > --min-length + 1 ("
          + (minLength + 1) + "): token counts are kept strictly between the two");
    }
    ListOpsSplits.Result r = ListOpsSplits.generate(out, train, valid, test, minLength, maxLength, seed.value(), overwrite);
    for (Path p : r.removedLeftovers()) {
      o.println("removed " + p + ", left by a generate-listops that was killed");
    }
    for (ListOpsSplits.SplitStats s : r.splits()) {
      StringBuilder hist = new StringBuilder();
      for (int l = 0; l < 10; l++) {
        hist.append(l == 0 ? "" : " ").append(l).append(':').append(s.labelCounts()[l]);
      }
      o.printf("%s: %d expressions; labels %s%n", s.file(), s.rows(), hist);
    }
    o.printf("%d trees drawn, %d duplicates dropped, %.1f s%n", r.treesTried(), r.duplicatesDropped(), r.seconds());
    o.flush();
    return 0;
  }

  private static void check(boolean ok, String option, int value) {
    if (!ok) {
      throw new IllegalArgumentException(option + " (" + value + ") must be >= 0");
    }
  }
}
