package io.longshort.bench;

import io.longshort.graph.decode.TransformerLsDecoder;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.types.TFloat32;

/**
 * The authors' LM's costs (seeded random weights, the paper's attention: window 512, chunk 16,
 * rank 1, at a smaller width and depth): (1) time per decoded token against the context the cache
 * holds (mem_len 1K, 8K, 32K), which should grow only with the cache's compressed chunks (L / 16
 * slots), not with L itself; (2) the block step (forward) time against the block length. Each
 * figure is the fastest of a few repeats. Not a timed test: run it on a quiet machine.
 *
 * <pre>java -cp target/longshort.jar:target/lib/* io.longshort.bench.TransformerLsBench [OUT]</pre>
 *
 * Environment: BENCH_LAYERS (2), BENCH_WIDTH (256), BENCH_TOKENS (64), BENCH_REPEAT (3),
 * BENCH_CONTEXTS ("1024 8192 32768"), BENCH_BLOCKS ("256 512 1024 2048").
 */
public final class TransformerLsBench {
  private TransformerLsBench() {}

  static TransformerLsSpec spec(int layers, int width, int memLen) {
    return TransformerLsSpec.builder().setVocabSize(256).setWidth(width).setInnerWidth(4 * width).setHeads(4)
        .setLayers(layers).setMemLen(memLen).setWindow(512).setChunkSize(16).setChunkRank(1).build();
  }

  public static void main(String[] args) throws IOException {
    int layers = env("BENCH_LAYERS", 2);
    int width = env("BENCH_WIDTH", 256);
    int tokens = env("BENCH_TOKENS", 64);
    int repeat = env("BENCH_REPEAT", 3);
    List<String> lines = new ArrayList<>();
    lines.add(String.format("# TransformerLsBench: %d layers, width %d, 4 heads, window 512, chunk 16, rank 1;"
        + " fastest of %d", layers, width, repeat));
    lines.add(String.format("# load average at the start: %.2f (%d cores)",
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
        Runtime.getRuntime().availableProcessors()));
    lines.add("# per-token decoding (block 256) against the cache length");
    lines.add("mem_len\tslots\tms_per_token");
    for (String c : System.getenv().getOrDefault("BENCH_CONTEXTS", "1024 8192 32768").trim().split("\\s+")) {
      int memLen = Integer.parseInt(c);
      try (TransformerLsDecoder<TFloat32> dec = TransformerLsDecoder.build(spec(layers, width, memLen), TFloat32.class,
          1, 256, 0, null)) {
        dec.reset();
        int[] id = {65};
        for (int i = 0; i < 4; i++) {
          dec.step(id); // warm-up
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeat; r++) {
          dec.reset();
          long t0 = System.nanoTime();
          for (int i = 0; i < tokens; i++) {
            dec.step(id);
          }
          best = Math.min(best, (System.nanoTime() - t0) / 1e6 / tokens);
        }
        lines.add(String.format("%d\t%d\t%.3f", memLen, memLen / 16, best));
        System.out.println(lines.get(lines.size() - 1));
      }
    }
    lines.add("# block step (batch 1, mem_len 2048) against the block length: forward, and forward + backward"
        + " (loss and every parameter's gradient, the cache fed in)");
    lines.add("block\tms_per_block\tms_per_token\ttrain_ms_per_block\ttrain_ms_per_token");
    for (String b : System.getenv().getOrDefault("BENCH_BLOCKS", "256 512 1024 2048").trim().split("\\s+")) {
      int block = Integer.parseInt(b);
      try (TransformerLsLm<TFloat32> lm = TransformerLsLm.build(spec(layers, width, 2048), TFloat32.class, 1, block, 0)) {
        int[] ids = new int[block];
        double best = Double.MAX_VALUE;
        for (int r = 0; r <= repeat; r++) {
          TFloat32 cache = lm.zeroCache();
          long t0 = System.nanoTime();
          lm.run(ids, cache).close();
          double ms = (System.nanoTime() - t0) / 1e6;
          cache.close();
          if (r > 0) { // the first run warms up
            best = Math.min(best, ms);
          }
        }
        double train = trainStep(spec(layers, width, 2048), block, repeat);
        lines.add(String.format("%d\t%.1f\t%.3f\t%.1f\t%.3f", block, best, best / block, train, train / block));
        System.out.println(lines.get(lines.size() - 1));
      }
    }
    if (args.length > 0) {
      Path out = Path.of(args[0]);
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(tmp))) {
        lines.forEach(w::println);
      }
      Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The fastest forward + backward of one block (after a warm-up run): loss and every gradient. */
  static double trainStep(TransformerLsSpec spec, int block, int repeat) {
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(spec, TFloat32.class, 1, block, 0, null,
        io.longshort.compile.XlaPieces.INSTANCE)) {
      double best = Double.MAX_VALUE;
      for (int r = 0; r <= repeat; r++) {
        try (TFloat32 cache = lm.zeroCache();
            org.tensorflow.Tensor ids = io.longshort.graph.core.HostTensors.ints(new long[] {1, block}, new int[block]);
            org.tensorflow.Tensor targets = io.longshort.graph.core.HostTensors.ints(new long[] {1, block},
                new int[block])) {
          var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), ids)
              .feed(lm.inputs().get("targets"), targets).feed(lm.inputs().get("cache"), cache).fetch(lm.loss());
          lm.gradients().forEach(runner::fetch);
          long t0 = System.nanoTime();
          runner.run().close();
          double ms = (System.nanoTime() - t0) / 1e6;
          if (r > 0) { // the first run warms up
            best = Math.min(best, ms);
          }
        }
      }
      return best;
    }
  }

  private static int env(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }
}
