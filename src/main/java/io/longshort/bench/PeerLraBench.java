package io.longshort.bench;

import io.longshort.data.Batch;
import io.longshort.data.BatchSource;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.TrainableModel;
import io.longshort.io.HostArray;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelOverrides;
import io.longshort.spec.ModelSpec;
import io.longshort.train.Model;
import io.longshort.train.Feeds;
import io.longshort.train.Optimizer;
import io.longshort.train.PlainStep;
import io.longshort.train.TrainingSetting;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.types.TFloat32;

/**
 * Our side of the peer benchmark against the authors' LRA code ({@code bench/peers/peer_lra.py}
 * drives it): a line protocol on stdin, as {@link PeerLmBench}'s. Commands, one per line:
 * <ul>
 *   <li>{@code listops NAME length batch} -> {@code param NAME SHAPE} lines, then {@code ok NAME COUNT}:
 *   the training step {@code train --spec lra_listops --length L --batch B} builds (the shipped
 *   training setting lra_listops: window 16, rank 2, dropout 0, AdamW; XLA off, compiled pieces for
 *   LayerNorm/GELU/dropout, {@link PlainStep}), one fixed batch of random ListOps ids with no
 *   padding, and one warm-up step;
 *   <li>{@code layer NAME n batch width heads window rank} -> {@code ok NAME}: the bidirectional
 *   long-short layer of {@link LayerBench} (XLA off), one warm-up run of each pass;
 *   <li>{@code run NAME step|fwd|train} -> {@code ms X}: one full training step (forward, backward,
 *   AdamW update) of a ListOps case; one forward or forward + backward of a layer case;
 *   <li>{@code trace NAME step|fwd|train} -> TF step stats by op type and by node, then {@code end};
 *   <li>{@code floor} -> {@code ok GFLOPS}: the matmul line (bench/attention's 2048 x 2048 product);
 *   {@code flops listops N B} or {@code flops layer N B D H W R} -> {@code ok FLOPS}: the matrix-product
 *   FLOPs of a ListOps step or a layer's forward + backward ({@link Flops}; backward = 2x forward);
 *   <li>{@code close NAME}, {@code quit}.
 * </ul>
 *
 * <pre>java -cp target/longshort.jar:target/lib/* io.longshort.bench.PeerLraBench</pre>
 */
public final class PeerLraBench {
  private PeerLraBench() {}

  /** The ListOps training step as {@code train} runs it, on one fixed batch. */
  private static final class ListOpsCase implements AutoCloseable {
    final TrainableModel<?> model;
    final PlainStep step;
    final BatchSource data;
    long index;

    ListOpsCase(int length, int batch) throws java.io.IOException {
      TrainingSetting setting = TrainingSetting.load("lra_listops");
      ModelSpec spec = setting.loadModel(ModelOverrides.builder().build());
      long seed = 1;
      model = Model.of(spec).buildTraining(new Model.Build(TFloat32.class, TFloat32.class, batch, length, seed,
          io.longshort.compile.XlaPieces.INSTANCE, null));
      Optimizer<TFloat32> opt = PlainStep.optimizer(model, setting.optimizer(), TFloat32.class);
      step = new PlainStep(model, opt, seed);
      RandomTensors.ClassifierBatch random = RandomTensors.classifierBatch(spec, batch, length);
      int[] ids = random.ids();
      int[] mask = random.mask();
      int[] labels = random.labels();
      Map<String, HostArray> arrays = new LinkedHashMap<>();
      arrays.put("input_ids", HostArray.ints(new long[] {batch, length}, ids));
      arrays.put("mask", HostArray.ints(new long[] {batch, length}, mask));
      arrays.put(Batch.LABELS, HostArray.ints(new long[] {batch}, labels));
      Batch fixed = new Batch(arrays, batch);
      data = new BatchSource() {
        @Override
        public Batch batch(long i) {
          return fixed;
        }

        @Override
        public long batchesPerEpoch() {
          return 1;
        }
      };
    }

    double runMs() {
      long t0 = System.nanoTime();
      step.run(index++, data);
      return (System.nanoTime() - t0) / 1e6;
    }

    @Override
    public void close() {
      model.close();
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, ListOpsCase> listops = new HashMap<>();
    Map<String, LayerBench> layers = new HashMap<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.trim().split("\\s+");
      switch (f[0]) {
        case "listops" -> {
          ListOpsCase c = new ListOpsCase(Integer.parseInt(f[2]), Integer.parseInt(f[3]));
          long count = 0;
          for (Parameter<?> p : c.model.parameters().list()) {
            System.out.println("param " + p.name() + " " + Arrays.toString(p.shape()).replace(" ", ""));
            count += p.size();
          }
          c.runMs();
          listops.put(f[1], c);
          System.out.println("ok " + f[1] + " " + count);
        }
        case "layer" -> {
          AttentionSpec spec = layerSpec(f, 4);
          LayerBench b = new LayerBench(spec, Integer.parseInt(f[3]), Integer.parseInt(f[2]), false);
          b.forwardOnce();
          b.trainOnce();
          layers.put(f[1], b);
          System.out.println("ok " + f[1]);
        }
        case "run" -> {
          double ms = listops.containsKey(f[1]) ? listops.get(f[1]).runMs()
              : f[2].equals("fwd") ? layers.get(f[1]).forwardOnce() : layers.get(f[1]).trainOnce();
          System.out.printf(Locale.ROOT, "ms %.3f%n", ms);
        }
        case "trace" -> {
          RunMetadata md = listops.containsKey(f[1]) ? traceStep(listops.get(f[1]))
              : layers.get(f[1]).traceOnce(f[2].equals("train"));
          Map<String, Double> byType = new HashMap<>();
          Map<String, Double> byNode = new HashMap<>();
          Map<String, String> shapes = new HashMap<>();
          LayerProfile.addStepStats(md, 1.0, byType, byNode, shapes);
          LayerProfile.print("by op type", byType, null, 40);
          LayerProfile.print("slowest nodes", byNode, shapes, 120);
          System.out.println("end");
        }
        case "floor" -> {
          // the matmul line: the fastest of 5 products of 2048 x 2048 matrices, XLA off, as bench/attention's
          try (MatmulReference m = new MatmulReference(2048, false)) {
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
              double ms = m.once();
              best = i == 0 ? best : Math.min(best, ms);
            }
            System.out.printf(Locale.ROOT, "ok %.3f%n", m.flops() / best / 1e6);
          }
        }
        case "flops" -> System.out.printf(Locale.ROOT, "ok %.6e%n", f[1].equals("listops")
            ? listOpsStepFlops(Integer.parseInt(f[2]), Integer.parseInt(f[3]))
            : 3 * Flops.forward(layerSpec(f, 4), Integer.parseInt(f[3]), Integer.parseInt(f[2])));
        case "close" -> {
          AutoCloseable c = listops.containsKey(f[1]) ? listops.remove(f[1]) : layers.remove(f[1]);
          c.close();
          System.out.println("ok " + f[1]);
        }
        case "quit" -> {
          for (ListOpsCase c : listops.values()) {
            c.close();
          }
          for (LayerBench b : layers.values()) {
            b.close();
          }
          return;
        }
        default -> throw new IllegalArgumentException("PeerLraBench: unknown command '" + f[0]
            + "' (listops, layer, run, trace, close, quit)");
      }
      System.out.flush();
    }
  }

  /** The long-short spec of fields width, heads, window, rank from {@code f[from]} on. */
  private static AttentionSpec layerSpec(String[] f, int from) {
    return AttentionSpec.longShort().setWidth(Integer.parseInt(f[from])).setHeads(Integer.parseInt(f[from + 1]))
        .setWindow(Integer.parseInt(f[from + 2])).setRank(Integer.parseInt(f[from + 3])).build();
  }

  /**
   * Matrix-product FLOPs of one ListOps training step (the lra_listops model, its shipped setting,
   * pooled from the last layer's CLS row): forward = per layer the attention ({@link Flops}, its
   * projections included) and the FFN (D -> hidden -> D) over the N tokens, except that the last
   * layer needs neither its FFN nor W_o for the token rows (only the CLS row goes on); the CLS
   * rows and the head are left out (under 0.1 %); forward + backward = 3x forward (each product's
   * two gradient products).
   */
  private static double listOpsStepFlops(int length, int batch) throws java.io.IOException {
    ModelSpec spec = TrainingSetting.load("lra_listops").loadModel(ModelOverrides.builder().build());
    double tokens = (double) batch * length;
    double ffn = tokens * 2.0 * 2 * spec.width() * spec.hiddenWidth();
    double wO = tokens * 2.0 * spec.width() * spec.width();
    double attention = Flops.forward(spec.attention(), batch, length);
    return 3 * (spec.layers() * attention + (spec.layers() - 1) * ffn - wO);
  }

  /** One training step of {@code c} (update and loss, as {@link PlainStep} runs it) with a full trace. */
  private static RunMetadata traceStep(ListOpsCase c) {
    java.util.List<org.tensorflow.Tensor> fed = new java.util.ArrayList<>();
    try {
      org.tensorflow.Session.Runner r = Feeds.feed(c.model.session().runner(), c.model, c.data.batch(0), fed);
      Feeds.dropout(r, c.model.dropoutSeed(), c.model.dropoutRate(), 1, c.index++, c.model.trainingDropout(), fed);
      r.fetch(c.model.loss()).addTarget(c.step.optimizer().update());
      r.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
          .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build());
      try (org.tensorflow.Result res = r.runAndFetchMetadata()) {
        return res.getMetadata().orElseThrow();
      }
    } finally {
      fed.forEach(org.tensorflow.Tensor::close);
    }
  }
}
