package io.longshort.cli;

import io.longshort.export.GraphDefs;
import io.longshort.graph.attention.AttentionGraph;
import io.longshort.graph.core.GraphStats;
import io.longshort.io.TextFiles;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import io.longshort.spec.SizeLimits;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One attention layer on its own: emit its graph and run a forward pass on random padded input,
 * beside full attention on the same input.
 */
@Command(name = "attention-demo", mixinStandardHelpOptions = true,
    description = "Builds a long-short attention layer (default: the authors' LRA setting, width 64, 2 heads,"
        + " window 8, rank 32), writes its GraphDef, and runs it on random padded input of length --length,"
        + " then runs full attention on the same input for comparison. No data needed.")
final class AttentionDemoCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  LengthOption length = LengthOption.defaultingTo(4096);

  @Mixin
  BatchOption batch = BatchOption.defaultingTo(2);

  @Option(names = "--width", defaultValue = "64", description = "Model width D (default: ${DEFAULT-VALUE}).")
  int width;

  @Option(names = "--heads", defaultValue = "2", description = "Attention heads H (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(names = "--window", defaultValue = "8", description = "Sliding-window segment w, 0 = none (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--rank", defaultValue = "32", description = "Dynamic-projection rank r, 0 = none (default: ${DEFAULT-VALUE}).")
  int rank;

  @Option(names = "--attention-spec", paramLabel = "FILE", description = "An AttentionSpec as JSON (replaces --width/--heads/--window/--rank).")
  Path specFile;

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--out", defaultValue = "graphs", description = "Folder for the GraphDef (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--no-full", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Also run full attention on the same input (default: ${DEFAULT-VALUE}).")
  boolean compareFull;

  @Option(names = "--repeats", defaultValue = "5", description = "Timed forward passes; the median is shown (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Override
  public Integer call() throws IOException {
    PrintWriter outWriter = command.commandLine().getOut();
    check(length.value() >= 1, "--length", length.value(), "an integer >= 1");
    check(batch.value() >= 1, "--batch", batch.value(), "an integer >= 1");
    check(repeats >= 1, "--repeats", repeats, "an integer >= 1");
    AttentionSpec spec = specFile != null
        ? AttentionSpec.parseJson(readSpec(specFile))
        : AttentionSpec.longShort().setWidth(width).setHeads(heads).setWindow(window).setRank(rank).build();
    if (spec.globalToken() != GlobalToken.NONE) {
      throw new IllegalArgumentException("attention-demo runs specs without a CLS token; the spec's globalToken is '"
          + spec.globalToken().jsonName() + "'");
    }
    checkSizes(spec);
    outWriter.println("spec: " + spec.toJson().replaceAll("\\s+", " "));

    Random rnd = new Random(seed.value());
    double[] x = new double[batch.value() * length.value() * spec.width()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextGaussian();
    }
    // row 0 is full, the others are padded to 3/4 of the length
    int[] lengths = new int[batch.value()];
    double[] mask = new double[batch.value() * length.value()];
    for (int b = 0; b < batch.value(); b++) {
      lengths[b] = b == 0 ? length.value() : Math.max(1, length.value() * 3 / 4);
      Arrays.fill(mask, b * length.value(), b * length.value() + lengths[b], 1.0);
    }
    outWriter.printf("input: B=%d N=%d D=%d, row lengths %s%n", batch.value(), length.value(), spec.width(), Arrays.toString(lengths));

    String name = "attention_demo_" + spec.kind().jsonName();
    run(outWriter, spec, name, x, mask, true);
    if (compareFull && spec.kind() != io.longshort.spec.AttentionKind.FULL) {
      AttentionSpec full = AttentionSpec.full().setWidth(spec.width()).setHeads(spec.heads()).build();
      run(outWriter, full, "full attention", x, mask, false);
    }
    outWriter.flush();
    return 0;
  }

  /**
   * The input (B, N, D) is a Java array of doubles, then a float32 tensor; full attention's scores
   * are (B, H, N, N): refused before anything is allocated when they cannot be held.
   */
  private void checkSizes(AttentionSpec spec) {
    long input = SizeLimits.checkElements("--length", length.value(), "input (batch " + batch.value() + ", length, width "
        + spec.width() + ")", batch.value(), length.value(), spec.width());
    SizeLimits.checkHeap("--length", length.value(), "the input (batch, length, width) as doubles", SizeLimits.times(input, 8));
    boolean full = spec.kind() == AttentionKind.FULL || compareFull;
    if (full) {
      long scores = SizeLimits.checkElements("--length", length.value(), "full attention's scores (batch " + batch.value()
          + ", heads " + spec.heads() + ", length, length); --no-full leaves them out",
          batch.value(), spec.heads(), length.value(), length.value());
      SizeLimits.checkMachineMemory("--length", length.value(), "full attention's scores (float32)", SizeLimits.times(scores, 4));
    }
    check(spec.window() <= length.value(), "--window", spec.window(), "<= --length (" + length.value() + ")");
    check(spec.rank() <= length.value(), "--rank", spec.rank(), "<= --length (" + length.value() + ")");
  }

  private void run(PrintWriter o, AttentionSpec spec, String name, double[] x, double[] mask, boolean write)
      throws IOException {
    try (AttentionGraph<TFloat32> g = AttentionGraph.build(spec, TFloat32.class, batch.value(), length.value(), seed.value())) {
      GraphStats stats = GraphStats.of(g.graph());
      o.printf("%s: %d ops, %,d parameters, largest tensor %s (%s)%n", name, stats.operations(),
          g.parameters().count(), stats.largestShape(), stats.largestOp());
      if (write) {
        Path pb = GraphDefs.write(g.graph(), out.resolve(name));
        o.println("  wrote " + pb + " and .pbtxt");
      }
      double[] y = g.run(batch.value(), x, mask, null); // warm-up
      long[] nanos = new long[repeats];
      for (int i = 0; i < repeats; i++) {
        long t0 = System.nanoTime();
        y = g.run(batch.value(), x, mask, null);
        nanos[i] = System.nanoTime() - t0;
      }
      Arrays.sort(nanos);
      double meanAbs = Arrays.stream(y).map(Math::abs).average().orElse(0);
      boolean finite = Arrays.stream(y).allMatch(Double::isFinite);
      o.printf("  forward: %.1f ms (median of %d), output (%d, %d, %d), mean |y| %.4f, all finite: %s%n",
          nanos[repeats / 2] / 1e6, repeats, batch.value(), spec.outputLength(length.value()), spec.width(), meanAbs, finite);
    }
  }

  private static String readSpec(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--attention-spec (" + file + "): no such file");
    }
    return TextFiles.read(file, "--attention-spec");
  }

  private static void check(boolean ok, String option, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(option + " (" + value + ") must be " + allowed);
    }
  }
}
