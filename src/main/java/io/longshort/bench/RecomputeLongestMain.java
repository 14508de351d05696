package io.longshort.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * bench/recompute's longest N: the longest sequence (batch 1) whose training step (one step of
 * {@link RecomputeStepMain}: forward, backward, AdamW update) fits a memory budget, plain and with
 * recomputation. Each probe is its own JVM, killed by {@link MemoryWatchdog} once its resident
 * memory passes the budget; a probe fits when it finishes its step and its VmHWM is within the
 * budget. N doubles from START until a probe does not fit, then a coarse bisection (BISECT
 * halvings, on multiples of 1024) narrows the gap between the last N that fit and the first that
 * did not.
 *
 * <p>Prints one PROBE line per process, then a Markdown table (one row per mode).
 *
 * <p>args: CONFIG BUDGET_GIB START BISECT [MODE ...] (modes: plain, recompute, halves; default plain and recompute), or
 * CONFIG BUDGET_GIB --probe N[,N...] [MODE ...]: only those N, no search (one row per probe), for
 * checking a prediction such as "N fits 16 GiB" with one JVM per N.
 */
public final class RecomputeLongestMain {
  /** A probe that takes longer than this is stopped and counts as not fitting. */
  private static final long PROBE_TIMEOUT_MINUTES = 30;
  private static final int GRAIN = 1024;

  private RecomputeLongestMain() {}

  /** One probe: N, whether it fit, its peak (VmHWM, or the highest VmRSS seen when killed) and its time. */
  /** stepMs and stepCpuMs: the timed steps' wall and CPU milliseconds, comma-separated ("" when none ran). */
  record Probe(String mode, int n, boolean fits, long peakMib, double seconds, String why, String stepMs,
      String stepCpuMs) {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 4) {
      throw new IllegalArgumentException("args: CONFIG BUDGET_GIB START BISECT [plain|recompute ...], or CONFIG"
          + " BUDGET_GIB --probe N[,N...] [plain|recompute ...], got "
          + Arrays.toString(args));
    }
    String config = args[0];
    double budgetGib = Double.parseDouble(args[1]);
    if (args[2].equals("--probe")) {
      probeOnly(config, budgetGib, args[3], modes(args));
      return;
    }
    int start = Integer.parseInt(args[2]);
    int bisect = Integer.parseInt(args[3]);
    if (!(budgetGib > 0) || start < GRAIN || start % GRAIN != 0 || bisect < 0) {
      throw new IllegalArgumentException("BUDGET_GIB (" + args[1] + ") must be > 0, START (" + start
          + ") a multiple of " + GRAIN + ", BISECT (" + bisect + ") >= 0");
    }
    List<String> modes = modes(args);
    long budget = (long) (budgetGib * (1L << 30));
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
        "| mode | longest N that fits %.1f GiB | its VmHWM MiB | first N that does not | probes |%n|---|---|---|---|---|%n",
        budgetGib));
    for (String mode : modes) {
      List<Probe> probes = new ArrayList<>();
      Probe fit = null;
      Probe miss = null;
      for (int n = start; miss == null; n *= 2) {
        Probe p = probe(config, n, 1, mode, 0, "", budget);
        probes.add(p);
        if (p.fits()) {
          fit = p;
        } else {
          miss = p;
        }
      }
      for (int i = 0; i < bisect && fit != null; i++) {
        int mid = (fit.n() + miss.n()) / 2 / GRAIN * GRAIN;
        if (mid <= fit.n() || mid >= miss.n()) {
          break;
        }
        Probe p = probe(config, mid, 1, mode, 0, "", budget);
        probes.add(p);
        if (p.fits()) {
          fit = p;
        } else {
          miss = p;
        }
      }
      table.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d |%n", mode, fit == null ? "none" : fit.n(),
          fit == null ? "-" : fit.peakMib(), miss.n(), probes.size()));
    }
    System.out.print(table);
  }

  /** The modes after the first four arguments (default plain and recompute), each plain, recompute or halves. */
  private static List<String> modes(String[] args) {
    List<String> modes = args.length > 4 ? List.of(args).subList(4, args.length) : List.of("plain", "recompute");
    modes.forEach(RecomputeStepMain::recomputation);
    return modes;
  }

  /** One probe per mode and N of {@code ns} ("N[,N...]", each a positive integer), then a table of them. */
  private static void probeOnly(String config, double budgetGib, String ns, List<String> modes)
      throws IOException, InterruptedException {
    if (!(budgetGib > 0)) {
      throw new IllegalArgumentException("BUDGET_GIB (" + budgetGib + ") must be > 0");
    }
    List<Integer> lengths = new ArrayList<>();
    for (String n : ns.split(",")) {
      int length;
      try {
        length = Integer.parseInt(n.trim());
      } catch (NumberFormatException e) {
        length = 0;
      }
      if (length < 1) {
        throw new IllegalArgumentException("--probe N (" + n + ") must be a positive integer, as in --probe 1966080,"
            + "2097152");
      }
      lengths.add(length);
    }
    long budget = (long) (budgetGib * (1L << 30));
    StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
        "| mode | N | VmHWM MiB | within %.1f GiB | seconds |%n|---|---|---|---|---|%n", budgetGib));
    for (String mode : modes) {
      for (int n : lengths) {
        Probe p = probe(config, n, 1, mode, 0, "", budget);
        table.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %.0f |%n", mode, n, p.peakMib(),
            p.fits() ? "yes" : "no (" + p.why() + ")", p.seconds()));
      }
    }
    System.out.print(table);
  }

  /**
   * Runs {@link RecomputeStepMain} (a warm-up step and {@code steps} timed ones; {@code layers}: ""
   * or a classifier's block count) in its own JVM under the budget, and prints its PROBE line.
   */
  static Probe probe(String config, int n, int batch, String mode, int steps, String layers, long budget)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-XX:+UseSerialGC", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
        "-Dorg.bytedeco.javacpp.maxBytes=0", "-cp", System.getProperty("java.class.path"),
        RecomputeStepMain.class.getName(), config, Integer.toString(n), Integer.toString(batch), mode,
        Integer.toString(steps)));
    if (!layers.isEmpty()) {
      command.add(layers);
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    MemoryWatchdog watchdog = MemoryWatchdog.watch(p, budget,
        System.nanoTime() + TimeUnit.MINUTES.toNanos(PROBE_TIMEOUT_MINUTES));
    String result = null;
    String last = "";
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("RECOMPUTE ")) {
          result = line;
        } else if (!line.isBlank()) {
          last = line.trim();
        }
      }
    }
    int exit = p.waitFor();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long peakMib = result != null ? Long.parseLong(field(result, "vmhwm_mib")) : watchdog.highest() >> 20;
    String why = watchdog.overBudget() ? "killed: resident memory passed the budget"
        : watchdog.timedOut() ? "killed after " + PROBE_TIMEOUT_MINUTES + " minutes"
        : result == null ? "exit " + exit + ": " + last
        : (peakMib << 20) > budget ? "VmHWM over the budget" : "fits";
    String stepMs = result != null ? field(result, "step_ms") : "";
    String stepCpuMs = result != null ? field(result, "step_cpu_ms") : "";
    Probe probe = new Probe(mode, n, why.equals("fits"), peakMib, seconds, why, stepMs, stepCpuMs);
    System.out.printf(Locale.ROOT, "PROBE %s config=%s%s n=%d batch=%d peak_mib=%d step_ms=%s step_cpu_ms=%s seconds=%.0f"
        + " %s%n", mode, config, layers.isEmpty() ? "" : " layers=" + layers, n, batch, peakMib, stepMs, stepCpuMs,
        seconds, why);
    System.out.flush();
    return probe;
  }

  private static String field(String line, String key) {
    for (String part : line.split(" ")) {
      if (part.startsWith(key + "=")) {
        return part.substring(key.length() + 1);
      }
    }
    throw new IllegalStateException("no " + key + " in: " + line);
  }
}
