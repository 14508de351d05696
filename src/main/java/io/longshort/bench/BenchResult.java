package io.longshort.bench;

/**
 * One row of the results: a measured pass of one configuration.
 *
 * @param pass forward, forward_backward, train_step or matmul
 * @param attention long_short, full, or "-" for the matmul line
 * @param status ok, over_budget (the process passed the memory budget and was stopped) or failed
 * @param medianMs median over {@code reps} timed runs after warm-up (compilation included there)
 * @param peakBytes the process's VmHWM after this pass (so it includes the passes before it)
 * @param baseBytes VmHWM after building, before the first run (JVM + TensorFlow + inputs)
 * @param gflops forward matrix-product FLOPs / median time, for forward and matmul rows; else 0
 * @param tokensPerSecond batch * n / median time
 */
public record BenchResult(String pass, String attention, boolean xla, int n, int batch, String status,
    double medianMs, double minMs, int reps, long peakBytes, long baseBytes, double gflops, double tokensPerSecond,
    String note) {
  public static final String OK = "ok";
  public static final String OVER_BUDGET = "over_budget";
  public static final String FAILED = "failed";

  public boolean ok() {
    return OK.equals(status);
  }

  static BenchResult notMeasured(BenchCase c, String pass, String status, String note) {
    return new BenchResult(pass, c.workload().equals(BenchCase.MATMUL) ? "-" : c.attention().kind().jsonName(),
        c.xla(), c.n(), c.batch(), status, 0, 0, 0, 0, 0, 0, 0, note);
  }
}
