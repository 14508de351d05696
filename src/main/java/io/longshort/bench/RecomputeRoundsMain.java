package io.longshort.bench;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * bench/recompute's memory and time table: interleaved rounds (plain, recompute, plain, ...) of
 * {@link RecomputeStepMain}, each its own JVM under a memory budget ({@link MemoryWatchdog} kills a
 * process whose resident memory passes it, and the row says so), so that load from other processes
 * falls on both modes alike. Prints one PROBE line per process, then a Markdown table.
 *
 * <p>args: CONFIG N BATCH ROUNDS STEPS BUDGET_GIB [LAYERS]; {@code -Drecompute.modes=plain,recompute,halves}
 * adds the classifiers' halves (default: plain,recompute).
 */
public final class RecomputeRoundsMain {
  private RecomputeRoundsMain() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 6 || args.length > 7) {
      throw new IllegalArgumentException("args: CONFIG N BATCH ROUNDS STEPS BUDGET_GIB [LAYERS], got "
          + Arrays.toString(args));
    }
    int n = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    int steps = Integer.parseInt(args[4]);
    double budgetGib = Double.parseDouble(args[5]);
    String layers = args.length == 7 ? args[6] : "";
    if (rounds < 1 || steps < 0 || !(budgetGib > 0)) {
      throw new IllegalArgumentException("ROUNDS (" + rounds + ") must be >= 1, STEPS (" + steps
          + ") >= 0, BUDGET_GIB (" + args[5] + ") > 0");
    }
    // -Drecompute.modes=plain,recompute,halves adds the classifiers' halves to each round
    List<String> modes = List.of(System.getProperty("recompute.modes", "plain,recompute").split(","));
    modes.forEach(RecomputeStepMain::recomputation);
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
        "| round | mode | VmHWM MiB | step ms (%d timed, after 1 warm-up) | step CPU ms (all threads) |%n"
        + "|---|---|---|---|---|%n", steps));
    for (int r = 1; r <= rounds; r++) {
      for (String mode : modes) {
        RecomputeLongestMain.Probe p = RecomputeLongestMain.probe(args[0], n, batch, mode, steps, layers,
            (long) (budgetGib * (1L << 30)));
        table.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s |%n", r, mode,
            p.fits() ? Long.toString(p.peakMib()) : "> " + args[5] + " GiB (" + p.why() + ")", p.stepMs(),
            p.stepCpuMs()));
      }
    }
    System.out.print(table);
  }
}
