package io.longshort.bench;

import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * Where one long-short layer's time goes: runs the bench's layer (batch 1, width 256, 4 heads,
 * window 128, rank 64 unless given) with TensorFlow's full trace and prints the op time summed by
 * op type and the slowest nodes (step stats; XLA on shows the compiled cluster as one node).
 *
 * <p>Usage: {@code LayerProfile N xla(true|false) pass(forward|train) [runs]}.
 */
public final class LayerProfile {
  private LayerProfile() {}

  public static void main(String[] args) {
    int n = Integer.parseInt(args[0]);
    boolean xla = Boolean.parseBoolean(args[1]);
    boolean train = args[2].equals("train");
    if (args[2].equals("model")) {
      model(n, xla, Integer.parseInt(args[3]), args.length > 4 && args[4].equals("trace"));
      return;
    }
    if (args[2].equals("seq")) {
      // forward + backward runs one after the other from a fresh process, as the longest-N probe runs them
      AttentionSpec spec = benchLayer();
      try (LayerBench b = new LayerBench(spec, 1, n, xla)) {
        StringBuilder line = new StringBuilder("SEQ N=" + n + ":");
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
          line.append(String.format(Locale.ROOT, " %.0f", b.trainOnce()));
        }
        System.out.println(line + " ms");
      }
      return;
    }
    if (args[2].equals("time")) {
      time(n, xla, args.length > 3 ? Integer.parseInt(args[3]) : 5);
      return;
    }
    int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    AttentionSpec spec = benchLayer();
    try (LayerBench b = new LayerBench(spec, 1, n, xla)) {
      for (int i = 0; i < 2; i++) {
        if (train) {
          b.trainOnce();
        } else {
          b.forwardOnce();
        }
      }
      Map<String, Double> byType = new HashMap<>();
      Map<String, Double> byNode = new HashMap<>();
      Map<String, String> shapes = new HashMap<>();
      double wall = 0;
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        RunMetadata md = b.traceOnce(train);
        wall += (System.nanoTime() - t0) / 1e6;
        addStepStats(md, 1.0 / runs, byType, byNode, shapes);
      }
      System.out.printf(Locale.ROOT, "N=%d xla=%s %s: %.1f ms per traced run (wall)%n", n, xla, train ? "train" : "forward",
          wall / runs);
      print("by op type", byType, null, 40);
      print("slowest nodes", byNode, shapes, 60);
    }
  }

  /** Medians of forward and forward + backward over {@code reps} runs after 2 warm-ups each. */
  private static void time(int n, boolean xla, int reps) {
    AttentionSpec spec = benchLayer();
    try (LayerBench b = new LayerBench(spec, 1, n, xla)) {
      double[] f = new double[reps];
      double[] t = new double[reps];
      b.forwardOnce();
      b.trainOnce();
      b.forwardOnce();
      b.trainOnce();
      double fCpu = 0;
      double tCpu = 0;
      for (int i = 0; i < reps; i++) {
        double c0 = cpuMs();
        f[i] = b.forwardOnce();
        double c1 = cpuMs();
        t[i] = b.trainOnce();
        fCpu += c1 - c0;
        tCpu += cpuMs() - c1;
      }
      java.util.Arrays.sort(f);
      java.util.Arrays.sort(t);
      System.out.printf(Locale.ROOT, "TIME N=%d xla=%s forward %.1f ms  fwd+bwd %.1f ms  (CPU: forward %.1f ms, fwd+bwd %.1f ms)%n",
          n, xla, f[reps / 2], t[reps / 2], fCpu / reps, tCpu / reps);
    }
  }

  /**
   * The ListOps model's training step (lra_listops, window 16, rank 2, dropout 0.1, AdamW) as
   * {@code train} builds it, on random tokens: median step time and tokens/s of 5 steps after 2, or
   * with {@code trace} the op profile.
   */
  private static void model(int n, boolean xla, int batch, boolean trace) {
    io.longshort.spec.ModelSpec spec;
    try {
      spec = io.longshort.spec.ModelConfigs.load("lra_listops");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    spec = spec.withAttention(spec.attention().toBuilder().setWindow(16).setRank(2).build()).toBuilder()
        .setMaxLength(n).build();
    io.longshort.graph.model.ModelGraph<org.tensorflow.types.TFloat32> g = io.longshort.graph.model.ModelGraph
        .builder(spec).setDtype(org.tensorflow.types.TFloat32.class).setBatch(batch).setLength(n).optSeed(1)
        .optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build();
    io.longshort.train.Optimizer<org.tensorflow.types.TFloat32> opt = io.longshort.train.PlainStep.optimizer(g,
        io.longshort.train.OptimizerSpec.authorsLra(100, 10_000), org.tensorflow.types.TFloat32.class);
    // as train runs it: the whole step compiled (--xla), or the plain step's ops in the outer graph
    io.longshort.train.CompiledStep<org.tensorflow.types.TFloat32> step =
        xla ? io.longshort.train.CompiledStep.build(g, opt, true, null) : null;
    java.util.Random rnd = new java.util.Random(0);
    int[] ids = new int[batch * n];
    int[] mask = new int[batch * n];
    int[] labels = new int[batch];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1 + rnd.nextInt(spec.vocabSize() - 1);
      mask[i] = i % n < n - rnd.nextInt(3) * 100 ? 1 : 0;
    }
    List<org.tensorflow.Tensor> fed = List.of(io.longshort.graph.core.HostTensors.ints(new long[] {batch, n}, ids),
        io.longshort.graph.core.HostTensors.ints(new long[] {batch, n}, mask),
        io.longshort.graph.core.HostTensors.ints(new long[] {batch}, labels), org.tensorflow.types.TInt64.vectorOf(1, 0),
        org.tensorflow.types.TFloat32.scalarOf(0.1f));
    org.tensorflow.Session s = g.session();
    java.util.function.Function<Boolean, RunMetadata> once = traced -> {
      org.tensorflow.Session.Runner r = s.runner().feed(g.inputs().get("input_ids"), fed.get(0))
          .feed(g.inputs().get("mask"), fed.get(1)).feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3))
          .feed(g.dropoutRate(), fed.get(4)).fetch(xla ? step.loss() : g.loss());
      if (!xla) {
        r.addTarget(opt.update());
      }
      if (traced) {
        r.setOptions(org.tensorflow.proto.RunOptions.newBuilder()
            .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build());
        try (org.tensorflow.Result res = r.runAndFetchMetadata()) {
          return res.getMetadata().orElseThrow();
        }
      }
      r.run().close();
      return null;
    };
    once.apply(false);
    once.apply(false);
    if (trace) {
      Map<String, Double> byType = new HashMap<>();
      Map<String, Double> byNode = new HashMap<>();
      Map<String, String> shapes = new HashMap<>();
      addStepStats(once.apply(true), 1.0, byType, byNode, shapes);
      print("by op type", byType, null, 40);
      print("slowest nodes", byNode, shapes, 80);
    } else {
      double[] t = new double[5];
      double c0 = cpuMs();
      for (int i = 0; i < t.length; i++) {
        long t0 = System.nanoTime();
        once.apply(false);
        t[i] = (System.nanoTime() - t0) / 1e6;
      }
      double cpu = (cpuMs() - c0) / t.length;
      java.util.Arrays.sort(t);
      System.out.printf(Locale.ROOT, "MODEL N=%d batch=%d xla=%s step %.1f ms  %.0f tokens/s  (CPU %.1f ms)%n", n, batch, xla,
          t[2], batch * n / (t[2] / 1e3), cpu);
    }
    fed.forEach(org.tensorflow.Tensor::close);
    g.close();
  }

  /** The bench's default layer (LayerBench's shape): long-short, D 256, 4 heads, W 128, R 64. */
  private static AttentionSpec benchLayer() {
    return AttentionSpec.longShort().setWidth(256).setHeads(4).setWindow(128).setRank(64).build();
  }

  /**
   * Adds one traced run's op times (ms, times {@code weight}) by op type and by node, and each
   * node's first output shape.
   */
  static void addStepStats(RunMetadata md, double weight, Map<String, Double> byType,
      Map<String, Double> byNode, Map<String, String> shapes) {
    for (DeviceStepStats dev : md.getStepStats().getDevStatsList()) {
      for (NodeExecStats ns : dev.getNodeStatsList()) {
        double ms = ns.getAllEndRelMicros() / 1e3 * weight;
        String label = ns.getTimelineLabel();
        String type = label.contains("= ") ? label.substring(label.indexOf("= ") + 2).split("\\(")[0] : ns.getNodeName();
        byType.merge(type, ms, Double::sum);
        byNode.merge(ns.getNodeName(), ms, Double::sum);
        if (ns.getOutputCount() > 0 && ns.getOutput(0).hasTensorDescription()) {
          shapes.put(ns.getNodeName(), ns.getOutput(0).getTensorDescription().getShape().getDimList().stream()
              .map(d -> Long.toString(d.getSize())).reduce((a, c) -> a + "x" + c).orElse(""));
        }
      }
    }
  }

  /** This process's user + system CPU time (all threads), from /proc/self/stat. */
  static double cpuMs() {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14 and 15 (utime, stime) are at 11 and 12 after the command name
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  static void print(String title, Map<String, Double> m, Map<String, String> shapes, int top) {
    List<Map.Entry<String, Double>> es = new ArrayList<>(m.entrySet());
    es.sort((a, c) -> Double.compare(c.getValue(), a.getValue()));
    double total = es.stream().mapToDouble(Map.Entry::getValue).sum();
    System.out.printf(Locale.ROOT, "== %s (sum %.1f ms)%n", title, total);
    for (Map.Entry<String, Double> e : es.subList(0, Math.min(top, es.size()))) {
      System.out.printf(Locale.ROOT, "%8.2f ms  %s %s%n", e.getValue(), e.getKey(),
          shapes == null ? "" : shapes.getOrDefault(e.getKey(), ""));
    }
  }
}
