package io.longshort.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Child processes really measure, the budget really stops them, and the report reads right. */
class BenchRunnerTest {
  private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

  private static BenchSettings tiny(long budget) {
    return new BenchSettings(1, 16, 2, 8, 2, List.of(64), 2, 1, budget, 64, false, false, 64, null);
  }

  @Test
  void aChildProcessMeasuresForwardAndBackward() {
    BenchSettings s = tiny(16L << 30);
    List<BenchResult> rs = new BenchRunner(s, QUIET).runCase(
        new BenchCase(BenchCase.LAYER, s.longShort(), 1, 64, false, 2, 1));
    assertEquals(List.of("forward", "forward_backward"), rs.stream().map(BenchResult::pass).toList());
    for (BenchResult r : rs) {
      assertTrue(r.ok(), r.toString());
      assertTrue(r.medianMs() > 0 && r.minMs() <= r.medianMs(), r.toString());
      assertTrue(r.baseBytes() > 0 && r.peakBytes() >= r.baseBytes(), r.toString());
      assertEquals(64 / (r.medianMs() / 1e3), r.tokensPerSecond(), 1e-6 * r.tokensPerSecond());
    }
    BenchResult f = rs.get(0);
    assertEquals(Flops.forward(s.longShort(), 1, 64) / (f.medianMs() * 1e6), f.gflops(), 1e-9 * f.gflops());
  }

  /** bench --kinds: every kind measured in its own process, a row and a longest-N line each, and the plot. */
  @Test
  void everyKindGetsItsLine(@TempDir Path dir) throws Exception {
    List<io.longshort.spec.AttentionKind> kinds = java.util.Arrays.stream(io.longshort.spec.AttentionKind.values())
        .filter(k -> !k.isCausal()).toList();
    // N = 128: bigbird's default blocks of 16 need 8 of them
    BenchSettings s = new BenchSettings(1, 16, 2, 8, 2, List.of(128), 2, 1, 16L << 30, 128, List.of(), false, 64, null,
        kinds);
    BenchRunner.Outcome o = new BenchRunner(s, QUIET).run();
    for (io.longshort.spec.AttentionKind kind : kinds) {
      List<BenchResult> rows = o.table().stream().filter(r -> r.attention().equals(kind.jsonName())).toList();
      assertEquals(List.of("forward", "forward_backward"), rows.stream().map(BenchResult::pass).toList(), kind.jsonName());
      assertTrue(rows.stream().allMatch(BenchResult::ok), rows.toString());
    }
    BenchReport report = new BenchReport(s, o, "Machine: test");
    String md = report.markdown();
    for (io.longshort.spec.AttentionKind kind : kinds) {
      assertTrue(md.contains("| " + kind.jsonName() + " | 128 |"), kind.jsonName() + " in the longest-N table: " + md);
    }
    report.write(dir);
    assertTrue(Files.size(dir.resolve("plot.png")) > 0);
  }

  @Test
  void aProcessPassingTheBudgetIsStoppedAndReported() {
    // JVM + TensorFlow alone take more than 256 MiB resident
    BenchSettings s = tiny(256L << 20);
    List<BenchResult> rs = new BenchRunner(s, QUIET).runCase(
        new BenchCase(BenchCase.LAYER, s.full(), 1, 64, false, 2, 1));
    assertEquals(2, rs.size());
    for (BenchResult r : rs) {
      assertEquals(BenchResult.OVER_BUDGET, r.status(), r.toString());
      assertTrue(r.note().contains("0.25 GiB"), r.note());
    }
  }

  @Test
  void theReportComputesTheIssuesChecks(@TempDir Path dir) throws Exception {
    BenchSettings s = new BenchSettings(1, 256, 4, 128, 64, List.of(4096, 8192, 16384), 5, 2, 16L << 30,
        1 << 20, false, false, 2048, null);
    List<BenchResult> table = new ArrayList<>();
    table.add(row("matmul", "-", 2048, 100, 0, 40.0));
    // long-short: 100 -> 200 -> 420 ms; full: 400 -> 1600 -> over budget
    table.add(row("forward", "long_short", 4096, 40, 1L << 30, 20.0));
    table.add(row("forward_backward", "long_short", 4096, 100, 1L << 30, 0));
    table.add(row("forward", "long_short", 8192, 80, 2L << 30, 20.0));
    table.add(row("forward_backward", "long_short", 8192, 200, 2L << 30, 0));
    table.add(row("forward", "long_short", 16384, 170, 4L << 30, 18.0));
    table.add(row("forward_backward", "long_short", 16384, 420, 4L << 30, 0));
    table.add(row("forward", "full", 4096, 150, 3L << 30, 30.0));
    table.add(row("forward_backward", "full", 4096, 400, 3L << 30, 0));
    table.add(row("forward", "full", 8192, 600, 10L << 30, 30.0));
    table.add(row("forward_backward", "full", 8192, 1600, 12L << 30, 0));
    table.add(new BenchResult("forward", "full", false, 16384, 1, BenchResult.OVER_BUDGET, 0, 0, 0, 0, 0, 0,
        0, "resident memory passed 16.00 GiB"));
    table.add(new BenchResult("forward_backward", "full", false, 16384, 1, BenchResult.OVER_BUDGET, 0, 0, 0, 0, 0, 0,
        0, "resident memory passed 16.00 GiB"));
    List<BenchResult> probes = List.of(row("forward_backward", "long_short", 32768, 900, 8L << 30, 0),
        new BenchResult("forward_backward", "long_short", false, 65536, 1, BenchResult.OVER_BUDGET, 0, 0, 0, 0, 0, 0,
            0, "resident memory passed 16.00 GiB"));
    BenchReport report = new BenchReport(s, new BenchRunner.Outcome(table, probes), "Machine: test");
    String checks = report.checks();
    assertTrue(checks.contains("long_short, XLA off: forward+backward time x2.05 per doubling of N between 4K and 16K; peak memory x2.00, x2.00 above"), checks);
    assertTrue(checks.contains("at N = 8K long-short forward+backward is 8.0x faster"), checks);
    assertTrue(checks.contains("full attention passed the 16.00 GiB budget, long-short peaked at 4.00 GiB: more than 4.0x"),
        checks);
    assertTrue(checks.contains("longest N within 16.00 GiB: long-short 32768, full attention 8192: 4x"), checks);
    assertTrue(checks.contains("long-short forward at N = 16384, XLA off: 18.0 GFLOP/s, 45 % of the matrix product's 40.0"),
        checks);

    report.write(dir);
    String csv = Files.readString(dir.resolve("results.csv"));
    assertEquals(1 + table.size() + probes.size(), csv.split("\n").length);
    assertTrue(Files.readString(dir.resolve("results.md")).contains("| 16384 | full | off | over budget | over budget | - | - | over budget |"));
    BufferedImage png = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("plot.png"))));
    assertEquals(900, png.getWidth());
    assertEquals(1040, png.getHeight());
    try (var files = Files.list(dir)) {
      assertEquals(3, files.count(), "only the three results, no temporary files");
    }
  }

  private static BenchResult row(String pass, String kind, int n, double ms, long peak, double gflops) {
    return new BenchResult(pass, kind, false, n, 1, BenchResult.OK, ms, ms, 5, peak, peak / 2, gflops, n / (ms / 1e3),
        "");
  }
}
