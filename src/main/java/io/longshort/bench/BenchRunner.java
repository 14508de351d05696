package io.longshort.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs every configuration of a benchmark in a process of its own (so that each peak memory is
 * that configuration's alone), one after the other, and stops a process whose resident memory
 * passes the budget. Then searches, by doubling N, the longest sequence each attention trains on
 * (forward + backward) within the budget.
 */
public final class BenchRunner {
  /** A case taking longer than this is stopped and reported as failed. */
  private static final long CASE_TIMEOUT_MINUTES = 20;

  private final BenchSettings s;
  private final PrintStream log;

  public BenchRunner(BenchSettings settings, PrintStream log) {
    this.s = settings;
    this.log = log;
  }

  /** All results: the reference line, the layer table, model steps, then the longest-N probes. */
  public record Outcome(List<BenchResult> table, List<BenchResult> probes) {}

  public Outcome run() {
    List<BenchResult> table = new ArrayList<>();
    List<Boolean> modes = s.xla() ? List.of(false, true) : List.of(false);
    for (boolean xla : modes) {
      table.addAll(runCase(new BenchCase(BenchCase.MATMUL, null, 1, s.matmulSide(), xla, s.reps(), s.warmup())));
    }
    for (AttentionSpec attention : s.attentions()) {
      for (boolean xla : modes) {
        table.addAll(upTheLengths(BenchCase.LAYER, attention, xla));
      }
    }
    for (AttentionSpec attention : s.modelAttentions()) {
      for (boolean xla : modes) {
        table.addAll(upTheLengths(BenchCase.MODEL, attention, xla));
      }
    }
    List<BenchResult> probes = new ArrayList<>();
    for (AttentionSpec attention : s.attentions()) {
      probes.addAll(longest(attention, table));
    }
    return new Outcome(table, probes);
  }

  /** The table's rows of one workload, attention and mode, N increasing until a run fails or passes the budget. */
  private List<BenchResult> upTheLengths(String workload, AttentionSpec attention, boolean xla) {
    List<BenchResult> rows = new ArrayList<>();
    for (int n : s.lengths()) {
      List<BenchResult> rs = runCase(new BenchCase(workload, attention, s.batch(), n, xla, s.reps(), s.warmup()));
      rows.addAll(rs);
      if (rs.stream().anyMatch(r -> !r.ok())) {
        break; // longer N would not fit either
      }
    }
    return rows;
  }

  /**
   * Doubles N from the longest table length that trained within the budget, one process each,
   * until a run passes the budget, fails or N passes maxLength. Each probe is timed like a table
   * row (the same warm-up runs and repetitions, fewer when one run is slow), so that the plot's
   * points past the table measure the same thing as those in it.
   */
  private List<BenchResult> longest(AttentionSpec attention, List<BenchResult> table) {
    String kind = attention.kind().jsonName();
    int start = table.stream().filter(r -> r.pass().equals("forward_backward") && r.attention().equals(kind)
        && !r.xla() && r.ok()).mapToInt(BenchResult::n).max().orElse(0);
    List<BenchResult> probes = new ArrayList<>();
    if (start == 0) {
      return probes;
    }
    for (long n = 2L * start; n <= s.maxLength(); n *= 2) {
      List<BenchResult> rs = runCase(new BenchCase(BenchCase.PROBE, attention, s.batch(), (int) n, false, s.reps(),
          s.warmup()));
      probes.addAll(rs);
      if (rs.stream().anyMatch(r -> !r.ok())) {
        break;
      }
    }
    return probes;
  }

  /** One child process; its result lines, or one line saying why it has none. */
  List<BenchResult> runCase(BenchCase c) {
    log.printf("%-36s ", c.label());
    log.flush();
    List<String> passes = switch (c.workload()) {
      case BenchCase.LAYER -> List.of("forward", "forward_backward");
      case BenchCase.PROBE -> List.of("forward_backward");
      case BenchCase.MODEL -> List.of("train_step");
      default -> List.of("matmul");
    };
    List<BenchResult> results = new ArrayList<>();
    Deque<String> stderrTail = new ArrayDeque<>();
    String[] firstError = {null};
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(CASE_TIMEOUT_MINUTES);
    Process p;
    try {
      // JavaCPP refuses allocations once the process's resident size passes maxPhysicalBytes
      // (by default a multiple of -Xmx): TensorFlow's memory is the point here, so no such limit
      ProcessBuilder pb = new ProcessBuilder(javaCommand(), "-Xmx2g", "-XX:+UseSerialGC",
          "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-Dorg.bytedeco.javacpp.maxBytes=0", "-cp",
          System.getProperty("java.class.path"), CaseMain.class.getName(), Json.MAPPER.writeValueAsString(c));
      pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
      p = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a benchmark process: " + e.getMessage(), e);
    }
    MemoryWatchdog watchdog = MemoryWatchdog.watch(p, s.memoryBudgetBytes(), deadline);
    Thread errors = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (stderrTail) {
            if (firstError[0] == null && (line.contains("Exception") || line.contains("Error"))) {
              firstError[0] = line.trim();
            }
            stderrTail.addLast(line);
            if (stderrTail.size() > 8) {
              stderrTail.removeFirst();
            }
          }
        }
      } catch (IOException ignored) {
        // the process is gone; what was read is kept
      }
    }, "bench-stderr");
    errors.setDaemon(true);
    errors.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(CaseMain.PREFIX)) {
          results.add(Json.MAPPER.readValue(line.substring(CaseMain.PREFIX.length()), BenchResult.class));
        }
      }
      p.waitFor();
      errors.join(1000);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("unreadable result line from the benchmark process: " + e.getMessage(), e);
    } catch (IOException | InterruptedException e) {
      p.destroyForcibly();
      throw new IllegalStateException("benchmark process for " + c.label() + ": " + e.getMessage(), e);
    }
    for (String pass : passes.subList(results.size(), passes.size())) {
      if (watchdog.overBudget()) {
        results.add(BenchResult.notMeasured(c, pass, BenchResult.OVER_BUDGET,
            "resident memory passed " + gib(s.memoryBudgetBytes()) + " (seen " + gib(watchdog.highest()) + ")"));
      } else {
        String why;
        synchronized (stderrTail) {
          // the exception's own line says why; the stack frames after it rarely do
          why = firstError[0] != null ? firstError[0] : String.join(" | ", stderrTail);
        }
        results.add(BenchResult.notMeasured(c, pass, BenchResult.FAILED, watchdog.timedOut()
            ? "stopped after " + CASE_TIMEOUT_MINUTES + " minutes"
            : "exit " + p.exitValue() + (why.isEmpty() ? "" : ": " + why)));
      }
    }
    log.println(summary(results));
    return results;
  }

  private static String summary(List<BenchResult> results) {
    StringBuilder b = new StringBuilder();
    for (BenchResult r : results) {
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(r.pass()).append(' ');
      b.append(r.ok() ? String.format(java.util.Locale.ROOT, "%.1f ms, peak %s", r.medianMs(), gib(r.peakBytes()))
          : r.status());
    }
    return b.toString();
  }

  static String gib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
