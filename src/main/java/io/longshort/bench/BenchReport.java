package io.longshort.bench;

import io.longshort.io.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import java.text.DecimalFormat;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes a benchmark's results: {@code results.md} (tables and the checks the method promises),
 * {@code results.csv} (every row) and {@code plot.png} (time and peak memory against N, log-log,
 * drawn with JFreeChart). Each file is written under a temporary name, then renamed.
 */
public final class BenchReport {
  private final BenchSettings s;
  private final BenchRunner.Outcome o;
  private final String machine;

  public BenchReport(BenchSettings settings, BenchRunner.Outcome outcome, String machine) {
    this.s = settings;
    this.o = outcome;
    this.machine = machine;
  }

  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("results.md"), markdown());
    AtomicFiles.writeString(dir.resolve("results.csv"), csv());
    AtomicFiles.write(dir.resolve("plot.png"), png());
  }

  // ---- Markdown

  public String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# longshort benchmark\n\n").append(machine).append("\n\n");
    b.append(String.format(Locale.ROOT, "Layer: batch %d, width %d, %d heads; long-short window %d, rank %d; "
        + "float32. Memory budget %s. Times are medians of %d runs after %d warm-up run(s) (fewer when one run "
        + "takes over 5 s); peak memory is the process's VmHWM (JVM + TensorFlow, one process per row).%n%n",
        s.batch(), s.width(), s.heads(), s.window(), s.rank(), BenchRunner.gib(s.memoryBudgetBytes()), s.reps(),
        s.warmup()));
    b.append("## Reference: matrix product\n\n| side | XLA | ms | GFLOP/s |\n|---|---|---|---|\n");
    for (BenchResult r : rows("matmul")) {
      b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s |%n", r.n(), yesNo(r.xla()), ms(r), num(r.gflops(), r)));
    }
    b.append("\n## One attention layer\n\n| N | attention | XLA | forward ms | forward+backward ms "
        + "| forward GFLOP/s | of matmul | peak GiB (fwd+bwd) |\n|---|---|---|---|---|---|---|---|\n");
    for (BenchResult f : rows("forward")) {
      Optional<BenchResult> fb = find("forward_backward", f.attention(), f.xla(), f.n(), o.table());
      double ref = matmulRate(f.xla());
      b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s |%n", f.n(), f.attention(),
          yesNo(f.xla()), ms(f), fb.map(BenchReport::ms).orElse("-"), num(f.gflops(), f),
          f.ok() && ref > 0 ? String.format(Locale.ROOT, "%.0f %%", 100 * f.gflops() / ref) : "-",
          fb.map(BenchReport::peak).orElse("-")));
    }
    List<BenchResult> steps = rows("train_step");
    if (!steps.isEmpty()) {
      b.append("\n## Whole model training step (").append(ModelStepBench.LAYERS)
          .append(" blocks, AdamW)\n\n| N | attention | XLA | step ms | tokens/s | peak GiB |\n|---|---|---|---|---|---|\n");
      for (BenchResult r : steps) {
        b.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", r.n(), r.attention(), yesNo(r.xla()),
            ms(r), r.ok() ? String.format(Locale.ROOT, "%,.0f", r.tokensPerSecond()) : "-", peak(r)));
      }
    }
    b.append("\n## Longest N within the budget (forward + backward, XLA off)\n\n"
        + "| attention | longest N that fit | peak GiB there | first N that did not | why |\n|---|---|---|---|---|\n");
    for (String kind : kindNames(s)) {
      Longest l = longest(kind);
      b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n", kind, l.n, l.fit == null ? "-" : peak(l.fit),
          l.stop == null ? "-" : Integer.toString(l.stop.n()),
          l.stop == null ? "max-length " + s.maxLength() + " reached" : l.stop.status()));
    }
    b.append("\n## Checks\n\n").append(checks());
    List<BenchResult> bad = new ArrayList<>();
    for (List<BenchResult> part : List.of(o.table(), o.probes())) {
      part.stream().filter(r -> BenchResult.FAILED.equals(r.status())).forEach(bad::add);
    }
    if (!bad.isEmpty()) {
      b.append("\n## Failed runs\n\n");
      for (BenchResult r : bad) {
        b.append("- ").append(r.pass()).append(' ').append(r.attention()).append(r.xla() ? " xla" : " plain")
            .append(" N=").append(r.n()).append(": ").append(r.note()).append('\n');
      }
    }
    return b.toString();
  }

  /** The issue's promises, each with the measured number. */
  String checks() {
    StringBuilder b = new StringBuilder();
    for (boolean xla : List.of(false, true)) {
      String mode = xla ? "XLA on" : "XLA off";
      for (String kind : List.of("long_short", "full")) {
        Optional<BenchResult> a = ok(find("forward_backward", kind, xla, 4096, o.table()));
        Optional<BenchResult> c = ok(find("forward_backward", kind, xla, 16384, o.table()));
        if (a.isPresent() && c.isPresent()) {
          double perDoubling = Math.sqrt(c.get().medianMs() / a.get().medianMs());
          double memPerDoubling = Math.sqrt((double) c.get().peakBytes() / a.get().peakBytes());
          // the JVM and TensorFlow's own footprint does not grow with N: the part above it does
          double aboveBase = Math.sqrt((double) (c.get().peakBytes() - c.get().baseBytes())
              / (a.get().peakBytes() - a.get().baseBytes()));
          b.append(String.format(Locale.ROOT, "- %s, %s: forward+backward time x%.2f per doubling of N between 4K "
              + "and 16K; peak memory x%.2f, x%.2f above the process's footprint before the first run%s%n", kind,
              mode, perDoubling, memPerDoubling, aboveBase,
              kind.equals("long_short") ? (perDoubling <= 2.3 ? " — within x2.3" : " — ABOVE x2.3") : ""));
        }
      }
      Optional<BenchResult> ls8 = ok(find("forward_backward", "long_short", xla, 8192, o.table()));
      Optional<BenchResult> full8 = ok(find("forward_backward", "full", xla, 8192, o.table()));
      if (ls8.isPresent() && full8.isPresent()) {
        double ratio = full8.get().medianMs() / ls8.get().medianMs();
        b.append(String.format(Locale.ROOT, "- %s: at N = 8K long-short forward+backward is %.1fx faster than full "
            + "attention (%s)%n", mode, ratio, ratio >= 4 ? "at least 4x" : "BELOW 4x"));
      }
      Optional<BenchResult> ls16 = ok(find("forward_backward", "long_short", xla, 16384, o.table()));
      Optional<BenchResult> full16 = find("forward_backward", "full", xla, 16384, o.table());
      if (ls16.isPresent() && full16.isPresent()) {
        if (full16.get().ok()) {
          double ratio = (double) full16.get().peakBytes() / ls16.get().peakBytes();
          b.append(String.format(Locale.ROOT, "- %s: at N = 16K long-short uses %.1fx less memory than full attention "
              + "(%s)%n", mode, ratio, ratio >= 8 ? "at least 8x" : "BELOW 8x"));
        } else if (BenchResult.OVER_BUDGET.equals(full16.get().status())) {
          double ratio = (double) s.memoryBudgetBytes() / ls16.get().peakBytes();
          b.append(String.format(Locale.ROOT, "- %s: at N = 16K full attention passed the %s budget, long-short peaked "
              + "at %s: more than %.1fx less memory%n", mode, BenchRunner.gib(s.memoryBudgetBytes()),
              BenchRunner.gib(ls16.get().peakBytes()), ratio));
        }
      }
    }
    Longest ls = longest("long_short");
    Longest full = longest("full");
    if (ls.n > 0 && full.n > 0) {
      double ratio = (double) ls.n / full.n;
      b.append(String.format(Locale.ROOT, "- longest N within %s: long-short %d, full attention %d: %.0fx%s%n",
          BenchRunner.gib(s.memoryBudgetBytes()), ls.n, full.n, ratio,
          ls.stop == null ? " (long-short stopped at max-length, not at the budget: at least this)" : ""));
    }
    for (boolean xla : List.of(false, true)) {
      double ref = matmulRate(xla);
      rows("forward").stream().filter(r -> r.ok() && r.xla() == xla && r.attention().equals("long_short"))
          .reduce((x, y) -> y).ifPresent(r -> b.append(String.format(Locale.ROOT,
              "- long-short forward at N = %d, XLA %s: %.1f GFLOP/s, %.0f %% of the matrix product's %.1f GFLOP/s%n",
              r.n(), xla ? "on" : "off", r.gflops(), 100 * r.gflops() / ref, ref)));
    }
    return b.toString();
  }

  private record Longest(int n, BenchResult fit, BenchResult stop) {}

  private Longest longest(String kind) {
    List<BenchResult> all = new ArrayList<>(o.table());
    all.addAll(o.probes());
    BenchResult fit = null;
    BenchResult stop = null;
    for (BenchResult r : all) {
      if (!r.pass().equals("forward_backward") || !r.attention().equals(kind) || r.xla()) {
        continue;
      }
      if (r.ok() && (fit == null || r.n() > fit.n())) {
        fit = r;
      }
      if (!r.ok() && (stop == null || r.n() < stop.n())) {
        stop = r;
      }
    }
    return new Longest(fit == null ? 0 : fit.n(), fit, stop);
  }

  private double matmulRate(boolean xla) {
    return rows("matmul").stream().filter(r -> r.ok() && r.xla() == xla).mapToDouble(BenchResult::gflops)
        .findFirst().orElse(0);
  }

  private List<BenchResult> rows(String pass) {
    return o.table().stream().filter(r -> r.pass().equals(pass)).toList();
  }

  private static Optional<BenchResult> find(String pass, String kind, boolean xla, int n, List<BenchResult> in) {
    return in.stream().filter(r -> r.pass().equals(pass) && r.attention().equals(kind) && r.xla() == xla
        && r.n() == n).findFirst();
  }

  private static Optional<BenchResult> ok(Optional<BenchResult> r) {
    return r.filter(BenchResult::ok);
  }

  private static String yesNo(boolean b) {
    return b ? "on" : "off";
  }

  private static String ms(BenchResult r) {
    return r.ok() ? String.format(Locale.ROOT, "%.1f", r.medianMs()) : r.status().replace('_', ' ');
  }

  private static String peak(BenchResult r) {
    return r.ok() ? String.format(Locale.ROOT, "%.2f", r.peakBytes() / (double) (1L << 30))
        : r.status().replace('_', ' ');
  }

  private static String num(double v, BenchResult r) {
    return r.ok() ? String.format(Locale.ROOT, "%.1f", v) : "-";
  }

  // ---- CSV

  public String csv() {
    StringBuilder b = new StringBuilder("section,pass,attention,xla,n,batch,status,median_ms,min_ms,reps,peak_bytes,"
        + "base_bytes,gflops,tokens_per_second,note\n");
    for (List<BenchResult> part : List.of(o.table(), o.probes())) {
      String section = part == o.table() ? "table" : "longest_n_search";
      for (BenchResult r : part) {
        b.append(String.join(",", section, r.pass(), r.attention(), Boolean.toString(r.xla()), Integer.toString(r.n()),
            Integer.toString(r.batch()), r.status(), fmt(r.medianMs()), fmt(r.minMs()), Integer.toString(r.reps()),
            Long.toString(r.peakBytes()), Long.toString(r.baseBytes()), fmt(r.gflops()), fmt(r.tokensPerSecond()),
            '"' + r.note().replace("\"", "'") + '"')).append('\n');
      }
    }
    return b.toString();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  // ---- PNG

  public byte[] png() throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<BenchResult> all = new ArrayList<>(o.table());
    all.addAll(o.probes());
    List<String> kinds = kindNames(s);
    JFreeChart time = chart("One layer, forward + backward: time", "time (ms)", all, BenchResult::medianMs, kinds);
    JFreeChart memory = chart("One layer, forward + backward: peak process memory", "peak memory (GiB)", all,
        r -> r.peakBytes() / (double) (1L << 30), kinds);
    int w = 900;
    int h = 520;
    BufferedImage img = new BufferedImage(w, 2 * h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, 2 * h);
    time.draw(g, new java.awt.geom.Rectangle2D.Double(0, 0, w, h));
    memory.draw(g, new java.awt.geom.Rectangle2D.Double(0, h, w, h));
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** The measured kinds' names, in the settings' order: one line (per XLA mode) each on the plots. */
  private static List<String> kindNames(BenchSettings s) {
    return s.kinds().stream().map(io.longshort.spec.AttentionKind::jsonName).toList();
  }

  /** Line colours of the kinds after long_short (blue) and full (orange), plain then XLA. */
  private static final Color[][] OTHER_COLOURS = {
      {new Color(120, 200, 120), new Color(0, 130, 40)}, {new Color(200, 140, 230), new Color(120, 40, 170)},
      {new Color(150, 150, 150), new Color(60, 60, 60)}, {new Color(240, 200, 80), new Color(170, 120, 0)},
      {new Color(120, 210, 210), new Color(0, 120, 130)}, {new Color(240, 150, 190), new Color(180, 30, 100)}};

  private static JFreeChart chart(String title, String yLabel, List<BenchResult> all, ToDoubleFunction<BenchResult> y,
      List<String> kinds) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (String kind : kinds) {
      for (boolean xla : List.of(false, true)) {
        XYSeries series = new XYSeries(kind + (xla ? " (XLA)" : " (plain)"));
        all.stream().filter(r -> r.ok() && r.pass().equals("forward_backward") && r.attention().equals(kind)
            && r.xla() == xla).forEach(r -> series.addOrUpdate(r.n(), y.applyAsDouble(r)));
        if (series.getItemCount() > 0) {
          data.addSeries(series);
        }
      }
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "sequence length N", yLabel, data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    // plain numbers at whole powers (1024, 2048, ...; 1, 10, 100 ms), not exponents
    LogAxis x = new LogAxis("sequence length N");
    x.setBase(2);
    x.setSmallestValue(1);
    x.setTickUnit(new NumberTickUnit(1));
    x.setNumberFormatOverride(new DecimalFormat("#,##0"));
    plot.setDomainAxis(x);
    LogAxis yAxis = new LogAxis(yLabel);
    yAxis.setBase(10);
    yAxis.setSmallestValue(1e-3);
    yAxis.setTickUnit(new NumberTickUnit(1));
    yAxis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
    plot.setRangeAxis(yAxis);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    var renderer = new org.jfree.chart.renderer.xy.XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      String key = data.getSeriesKey(i).toString();
      String kind = key.substring(0, key.indexOf(' '));
      boolean xla = key.contains("XLA");
      Color colour;
      if (kind.equals("long_short")) {
        colour = xla ? new Color(0, 90, 200) : new Color(90, 170, 255);
      } else if (kind.equals("full")) {
        colour = xla ? new Color(200, 40, 0) : new Color(255, 140, 60);
      } else {
        int other = kinds.stream().filter(k -> !k.equals("long_short") && !k.equals("full")).toList().indexOf(kind);
        colour = OTHER_COLOURS[Math.floorMod(other, OTHER_COLOURS.length)][xla ? 1 : 0];
      }
      renderer.setSeriesPaint(i, colour);
      renderer.setSeriesStroke(i, new java.awt.BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    return chart;
  }
}
