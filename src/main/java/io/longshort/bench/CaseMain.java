package io.longshort.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.longshort.spec.Json;
import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * The child process of a benchmark: measures one {@link BenchCase} given as JSON in args[0] and
 * prints one {@code BENCH {json}} line per pass as soon as it is measured, so that a parent that
 * stops it for passing the memory budget keeps the passes before.
 */
final class CaseMain {
  /** Prefix of result lines on stdout. */
  public static final String PREFIX = "BENCH ";
  /** Fewer timed runs when one run takes longer than this. */
  private static final double SLOW_MS = 5_000;

  private CaseMain() {}

  public static void main(String[] args) {
    BenchCase c = Json.read(args[0], BenchCase.class);
    switch (c.workload()) {
      case BenchCase.LAYER, BenchCase.PROBE -> {
        try (LayerBench b = new LayerBench(c.attention(), c.batch(), c.n(), c.xla())) {
          long base = PeakMemory.selfPeak();
          if (c.workload().equals(BenchCase.LAYER)) {
            double flops = Flops.forward(c.attention(), c.batch(), c.n());
            emit(c, "forward", time(c, b::forwardOnce), base, flops);
          }
          emit(c, "forward_backward", time(c, b::trainOnce), base, 0);
        }
      }
      case BenchCase.MODEL -> {
        try (ModelStepBench b = new ModelStepBench(c.attention(), c.batch(), c.n(), c.xla())) {
          emit(c, "train_step", time(c, b::stepOnce), PeakMemory.selfPeak(), 0);
        }
      }
      case BenchCase.MATMUL -> {
        try (MatmulReference m = new MatmulReference(c.n(), c.xla())) {
          emit(c, "matmul", time(c, m::once), PeakMemory.selfPeak(), m.flops());
        }
      }
      default -> throw new IllegalArgumentException("workload must be layer, probe, model or matmul, got '"
          + c.workload() + "'");
    }
  }

  /** Warm-up runs (the first compiles), then timed runs; returns the sorted times. */
  private static double[] time(BenchCase c, DoubleSupplier once) {
    double last = 0;
    for (int i = 0; i < c.warmup(); i++) {
      last = once.getAsDouble();
    }
    int reps = last > SLOW_MS ? Math.min(c.reps(), 2) : c.reps();
    double[] t = new double[Math.max(reps, 1)];
    for (int i = 0; i < t.length; i++) {
      t[i] = once.getAsDouble();
    }
    Arrays.sort(t);
    return t;
  }

  static String oneLine(Object value) {
    try {
      return Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void emit(BenchCase c, String pass, double[] sorted, long base, double flops) {
    int m = sorted.length;
    double median = m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    double gflops = flops > 0 ? flops / (median * 1e6) : 0;
    String attention = c.workload().equals(BenchCase.MATMUL) ? "-" : c.attention().kind().jsonName();
    BenchResult r = new BenchResult(pass, attention, c.xla(), c.n(), c.batch(), BenchResult.OK, median, sorted[0], m,
        PeakMemory.selfPeak(), base, gflops, (double) c.batch() * c.n() / (median / 1e3), "");
    System.out.println(PREFIX + oneLine(r));
    System.out.flush();
  }
}
