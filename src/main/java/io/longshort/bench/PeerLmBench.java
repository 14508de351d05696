package io.longshort.bench;

import io.longshort.compile.XlaFunction;
import io.longshort.compile.XlaPieces;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.types.TFloat32;

/**
 * Our side of the peer benchmark against the authors' {@code TransformerLSModel}
 * ({@code bench/peers/peer_lm.py} drives it): a line protocol on stdin, so that the driver can
 * interleave our runs with theirs in one process tree. Commands, one per line, each answered by
 * one line on stdout:
 * <ul>
 *   <li>{@code build NAME layers width heads inner block memLen [xla]} -> {@code ok NAME}: the
 *   inference and the training graph (XLA off with compiled pieces for LayerNorm/GELU/dropout as
 *   {@code train} builds them; with {@code xla} the block step as one must-compile function) of the authors' LM (vocab 256, window 512, chunk 16, rank 1), a seeded random
 *   cache (NL, 1, L, D) and token ids, and one warm-up run of each;
 *   <li>{@code run NAME fwd|train} -> {@code ms X}: one forward (log-probs and next cache), or one
 *   forward + backward (loss and every parameter's gradient), wall-clock;
 *   <li>{@code trace NAME fwd|train} -> TF step stats summed by op type and by node, then
 *   {@code end}: the profile of the block step;
 *   <li>{@code matmul N} -> {@code ms X GFLOPS}: the matmul line ({@link MatmulReference}, XLA off), the
 *   fastest of 5 products of two (N, N) float32 matrices after one warm-up, and its GFLOP/s;
 *   <li>{@code close NAME}, {@code quit}.
 * </ul>
 *
 * <pre>java -cp target/longshort.jar:target/lib/* io.longshort.bench.PeerLmBench</pre>
 */
public final class PeerLmBench {
  private PeerLmBench() {}

  /** One shape's two graphs and fed tensors. */
  private static final class Case implements AutoCloseable {
    final TransformerLsLm<TFloat32> infer;
    final TransformerLsLm<TFloat32> train;
    final TFloat32 cache;
    final Tensor ids;

    Case(TransformerLsSpec spec, int block, boolean xla) {
      infer = xla ? TransformerLsLm.buildCompiled(spec, TFloat32.class, 1, block, 0, XlaFunction.MUST_COMPILE_CALLS)
          : TransformerLsLm.build(spec, TFloat32.class, 1, block, 0);
      train = TransformerLsLm.buildForTraining(spec, TFloat32.class, 1, block, 0,
          xla ? XlaFunction.MUST_COMPILE_CALLS : null, XlaPieces.INSTANCE);
      long[] shape = infer.cacheShape().asArray();
      double[] values = new double[Math.toIntExact(infer.cacheShape().size())];
      Random rnd = new Random(1);
      for (int i = 0; i < values.length; i++) {
        values[i] = rnd.nextGaussian();
      }
      cache = HostTensors.of(TFloat32.class, shape, values);
      int[] tokens = new int[block];
      for (int i = 0; i < block; i++) {
        tokens[i] = rnd.nextInt(spec.vocabSize());
      }
      ids = HostTensors.ints(new long[] {1, block}, tokens);
    }

    Session.Runner runner(boolean training) {
      if (!training) {
        return infer.session().runner().feed(infer.inputs().get("input_ids"), ids)
            .feed(infer.inputs().get("cache"), cache).fetch(infer.outputs().get("logprobs"))
            .fetch(infer.outputs().get("next_cache"));
      }
      // the block's own ids as targets: the loss's cost does not depend on them
      Session.Runner r = train.session().runner().feed(train.inputs().get("input_ids"), ids)
          .feed(train.inputs().get("targets"), ids).feed(train.inputs().get("cache"), cache).fetch(train.loss());
      train.gradients().forEach(r::fetch);
      return r;
    }

    double runMs(boolean training) {
      Session.Runner r = runner(training);
      long t0 = System.nanoTime();
      r.run().close();
      return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void close() {
      ids.close();
      cache.close();
      train.close();
      infer.close();
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, Case> cases = new HashMap<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.trim().split("\\s+");
      switch (f[0]) {
        case "build" -> {
          int layers = Integer.parseInt(f[2]);
          int width = Integer.parseInt(f[3]);
          int heads = Integer.parseInt(f[4]);
          int inner = Integer.parseInt(f[5]);
          int block = Integer.parseInt(f[6]);
          int memLen = Integer.parseInt(f[7]);
          TransformerLsSpec spec = TransformerLsSpec.builder().setVocabSize(256).setWidth(width).setInnerWidth(inner)
              .setHeads(heads).setLayers(layers).setMemLen(memLen).setWindow(512).setChunkSize(16).setChunkRank(1)
              .build();
          Case c = new Case(spec, block, f.length > 8 && f[8].equals("xla"));
          c.runMs(false);
          c.runMs(true);
          cases.put(f[1], c);
          System.out.println("ok " + f[1]);
        }
        case "run" -> System.out.printf(Locale.ROOT, "ms %.3f%n", cases.get(f[1]).runMs(f[2].equals("train")));
        case "trace" -> {
          Session.Runner r = cases.get(f[1]).runner(f[2].equals("train"));
          r.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
              .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build());
          RunMetadata md;
          try (org.tensorflow.Result res = r.runAndFetchMetadata()) {
            md = res.getMetadata().orElseThrow();
          }
          Map<String, Double> byType = new HashMap<>();
          Map<String, Double> byNode = new HashMap<>();
          Map<String, String> shapes = new HashMap<>();
          LayerProfile.addStepStats(md, 1.0, byType, byNode, shapes);
          LayerProfile.print("by op type", byType, null, 40);
          LayerProfile.print("slowest nodes", byNode, shapes, 150);
          System.out.println("end");
        }
        case "matmul" -> {
          // the matmul line: fastest of 5 square products of size N (the op this CPU runs fastest)
          try (MatmulReference ref = new MatmulReference(Integer.parseInt(f[1]), false)) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
              double ms = ref.once();
              best = i == 0 ? best : Math.min(best, ms);
            }
            System.out.printf(Locale.ROOT, "ms %.3f %.1f%n", best, ref.flops() / best / 1e6);
          }
        }
        case "close" -> {
          cases.remove(f[1]).close();
          System.out.println("ok " + f[1]);
        }
        case "quit" -> {
          cases.values().forEach(Case::close);
          return;
        }
        default -> throw new IllegalArgumentException("PeerLmBench: unknown command '" + f[0]
            + "' (build, run, trace, matmul, close, quit)");
      }
      System.out.flush();
    }
  }
}
