package io.longshort.cli;

import io.longshort.bench.BenchReport;
import io.longshort.bench.BenchRunner;
import io.longshort.bench.BenchSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tensorflow.TensorFlow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Long-short against full attention as N grows: time, memory, longest N in a budget. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks one attention layer, long-short against full attention, XLA off and on: forward and"
        + " forward+backward time (medians after warm-up) and the process's peak memory (VmHWM, one process"
        + " per configuration) at each --lengths N; the longest N each attention trains on within"
        + " --memory-gib (doubling N); a whole model's training step (tokens/s); and a large matrix product"
        + " as the CPU's reference rate. Writes results.md, results.csv and plot.png into --out and prints"
        + " the tables.")
final class BenchCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--lengths", split = ",", defaultValue = "1024,2048,4096,8192,16384",
      description = "Sequence lengths of the tables, increasing (default: ${DEFAULT-VALUE}).")
  List<Integer> lengths;

  @Mixin
  BatchOption batch = BatchOption.defaultingTo(1);

  @Option(names = "--width", defaultValue = "256", description = "Layer width D (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(names = "--heads", defaultValue = "4", description = "Heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(names = "--window", defaultValue = "128", description = "Long-short window w (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--rank", defaultValue = "64", description = "Long-short rank r (default: ${DEFAULT-VALUE}).")
  int rank;

  @Option(names = "--reps", defaultValue = "5", description = "Timed runs per measurement (default: ${DEFAULT-VALUE}).")
  int reps;

  @Option(names = "--warmup", defaultValue = "2",
      description = "Untimed runs first; the first compiles (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--memory-gib", defaultValue = "16",
      description = "Memory budget: a process passing it is stopped (default: ${DEFAULT-VALUE}).")
  double memoryGib;

  @Option(names = "--max-length", defaultValue = "1048576",
      description = "The longest-N search stops here (default: ${DEFAULT-VALUE}).")
  int maxLength;

  @Option(names = "--no-model", description = "Skip the whole-model training steps.")
  boolean noModel;

  @Option(names = "--no-xla", description = "Only XLA off.")
  boolean noXla;

  @Option(names = "--matmul-side", defaultValue = "2048",
      description = "Side of the reference square matrix product (default: ${DEFAULT-VALUE}).")
  int matmulSide;

  @Option(names = "--kinds", split = ",", defaultValue = "long_short,full",
      description = "Attention kinds to measure, one plot line each: long_short, full, linformer, nystrom, performer,"
          + " longformer, bigbird (others at --width/--heads with the authors' LRA defaults; default: ${DEFAULT-VALUE}).")
  List<String> kinds;

  @Option(names = "--model-kinds", split = ",",
      description = "Kinds whose whole model's training step is timed too (default: the --kinds; --no-model: none).")
  List<String> modelKinds;

  @Option(names = "--out", description = "Results folder (default: results/bench-<date>-<time>).")
  Path out;

  private static List<io.longshort.spec.AttentionKind> kindsOf(List<String> names) {
    return names.stream().map(io.longshort.spec.AttentionKind::fromJson).toList();
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    if (!(memoryGib > 0)) {
      throw new IllegalArgumentException("--memory-gib must be positive, got " + memoryGib);
    }
    BenchSettings settings = new BenchSettings(batch.value(), width, heads, window, rank, lengths, reps, warmup,
        (long) (memoryGib * (1L << 30)), maxLength,
        noModel ? List.of() : kindsOf(modelKinds != null ? modelKinds : kinds), !noXla, matmulSide, out, kindsOf(kinds));
    Path dir = out != null ? out : Path.of("results",
        "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    String machine = machine();
    o.println(machine);
    o.flush();
    BenchRunner.Outcome outcome = new BenchRunner(settings, System.out).run();
    BenchReport report = new BenchReport(settings, outcome, machine);
    report.write(dir);
    o.println();
    o.println(report.markdown());
    o.println("written: " + dir.resolve("results.md") + ", results.csv, plot.png");
    return 0;
  }

  static String machine() {
    String cpu = "unknown CPU";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
    } catch (IOException ignored) {
      // not Linux: the line says unknown
    }
    String load = "?";
    try {
      // other work on the machine shows up in the times: say how busy it was
      load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException ignored) {
      // not Linux
    }
    return String.format(Locale.ROOT, "Machine: %s, %d CPU(s), load average %s at the start; TensorFlow %s; %s.",
        cpu, Runtime.getRuntime().availableProcessors(), load, TensorFlow.version(),
        LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
  }
}
