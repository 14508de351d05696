package io.longshort.bench;

import io.longshort.compile.Recompute;
import io.longshort.compile.XlaPieces;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.io.AtomicFiles;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.spec.VisionSpec;
import io.longshort.train.AdamW;
import io.longshort.train.Optimizer;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import io.longshort.train.TransformerLsSetting;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * One process of bench/recompute: a plain training step (XLA off: forward, loss, gradients, AdamW
 * update, dropout at the config's rate), with or without recomputation, on random tokens. Prints
 * {@code RECOMPUTE <mode> config=<C> n=<N> batch=<B> vmhwm_mib=<peak> step_ms=<times> step_cpu_ms=<times>}:
 * VmHWM is this process's peak resident memory after the steps (one process per measurement, so each
 * peak is its own); step_cpu_ms is the process's CPU time (all threads, user and system) in each timed
 * step, which other processes' load inflates less than the wall time step_ms.
 *
 * <p>CONFIG is a shipped classifier config (N its sequence length; its learned positions are
 * widened to N when N is longer, {@link ModelSpec#withMaxLength}), or a shipped setting of the
 * authors' LM ({@link TransformerLsSetting#SHIPPED}; N the block, and the cache that of the phase
 * whose block is N, else N; the phase's dropout and optimizer; the cache fed is random, as a
 * mid-stream block reads it), or a shipped vision config ({@link VisionSpec#SHIPPED}; N the image
 * side, the config's own or another that its patch sizes divide; random normalised pixels and
 * labels; AdamW as {@code train-image} builds it; the step {@code train-image} runs).
 *
 * <p>args: CONFIG N BATCH plain|recompute|halves STEPS [LAYERS] (timed steps after one warm-up step; 0: the
 * warm-up only; LAYERS: the model with that many blocks or layers instead of its own, for the trend
 * with depth). {@code -Drecompute.trace=FILE}: one more step, traced, written to FILE (see {@link
 * #time}); the VmHWM printed then includes that step's tracing. {@code -Drecompute.phases} (vision
 * configs; the others mark their steps only): VmRSS and the peak of each phase (graph built, AdamW built,
 * session initialised, each step),
 * {@link Phases}.
 */
public final class RecomputeStepMain {
  private RecomputeStepMain() {}

  /**
   * A bench mode's recomputation: plain (null), recompute (whole blocks) or halves (the classifiers'
   * encoder rebuilt in attention and MLP halves; the LM and ViL refuse it). The one check of a mode's name
   * for every recompute bench.
   */
  static Recompute recomputation(String mode) {
    return switch (mode) {
      case "plain" -> null;
      case "recompute" -> Recompute.INSTANCE;
      case "halves" -> Recompute.HALVES;
      default -> throw new IllegalArgumentException("mode (" + mode + ") must be plain, recompute or halves");
    };
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 5 || args.length > 6) {
      throw new IllegalArgumentException("args: CONFIG N BATCH plain|recompute|halves STEPS [LAYERS], got "
          + Arrays.toString(args));
    }
    int n = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    Recompute recompute = recomputation(args[3]);
    int steps = Integer.parseInt(args[4]);
    boolean lm = TransformerLsSetting.SHIPPED.contains(args[0]);
    boolean vision = VisionSpec.SHIPPED.contains(args[0]);
    int layers = args.length == 6 ? Integer.parseInt(args[5]) : 0;
    if (vision && layers > 0) {
      throw new IllegalArgumentException("LAYERS (" + layers + ") is for token models; vision config " + args[0]
          + " keeps its stages' depths");
    }
    double[][] ms = lm ? lmSteps(args[0], n, batch, recompute, steps, layers)
        : vision ? visionSteps(args[0], n, batch, recompute, steps)
        : classifierSteps(args[0], n, batch, recompute, steps, layers);
    System.out.printf(Locale.ROOT, "RECOMPUTE %s config=%s%s n=%d batch=%d vmhwm_mib=%d step_ms=%s step_cpu_ms=%s%n",
        args[3], args[0], layers > 0 ? " layers=" + layers : "", n, batch, Phases.processPeak() >> 20,
        joined(ms[0]), joined(ms[1]));
  }

  /** "1234,1250": whole milliseconds, comma-separated. */
  private static String joined(double[] ms) {
    StringBuilder times = new StringBuilder();
    for (double t : ms) {
      times.append(times.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.0f", t));
    }
    return times.toString();
  }

  private static double[][] classifierSteps(String config, int n, int batch, Recompute recompute, int steps, int layers)
      throws IOException {
    ModelSpec spec = ModelConfigs.load(config);
    spec = layers > 0 ? spec.toBuilder().setLayers(layers).build() : spec;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(n <= spec.maxLength() ? spec : spec.withMaxLength(n))
        .setDtype(TFloat32.class).setBatch(batch).setLength(n).optSeed(1).optTraining(true)
        // the step `train` builds (Trainer's Model.Build): compiled LayerNorm/GELU/dropout pieces, plain or recompute
        .optCompiledPieces(XlaPieces.INSTANCE).optRecompute(recompute).build()) {
      Optimizer<TFloat32> opt = PlainStep.optimizer(g, OptimizerSpec.authorsLra(100, 10_000), TFloat32.class);
      RandomTensors.ClassifierBatch random = RandomTensors.classifierBatch(spec, batch, n);
      int[] ids = random.ids();
      int[] mask = random.mask();
      int[] labels = random.labels();
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.ints(new long[] {batch, n}, ids));
        fed.add(HostTensors.ints(new long[] {batch, n}, mask));
        fed.add(HostTensors.ints(new long[] {batch}, labels));
        fed.add(TInt64.vectorOf(1, 0));
        fed.add(TFloat32.scalarOf((float) spec.dropout()));
        return time(steps, () -> g.session().runner().feed(g.inputs().get("input_ids"), fed.get(0))
            .feed(g.inputs().get("mask"), fed.get(1)).feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3))
            .feed(g.dropoutRate(), fed.get(4)).addTarget(opt.update()).fetch(g.loss()));
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static double[][] visionSteps(String config, int side, int batch, Recompute recompute, int steps)
      throws IOException {
    VisionSpec s = VisionSpec.load(config);
    VisionSpec spec = side == s.imageSize() ? s
        : new VisionSpec(side, s.channels(), s.classes(), s.mlpRatio(), s.layerNormEpsilon(), s.avgPool(), s.stages());
    // the step train-image builds (ImageTrainer): float32, no compiled pieces, plain or recompute
    Phases.mark("start");
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(batch)
        .optSeed(1).optTraining(true).optRecompute(recompute).build()) {
      Phases.mark("model graph built");
      OptimizerSpec adamw = AdamW.builder().setLearningRate(1e-3).optEpsilon(1e-8).optWeightDecay(0.05)
          .optSchedule(OptimizerSpec.Schedule.COSINE).optWarmup(10).optTotalSteps(1000).build();
      Optimizer<TFloat32> opt = PlainStep.optimizer(g, adamw, TFloat32.class);
      Phases.graph("optimizer built", g.graph());
      g.session();
      Phases.mark("session created and initialised");
      Random rnd = new Random(0);
      float[] pixels = new float[batch * side * side * spec.channels()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) rnd.nextGaussian();
      }
      int[] labels = new int[batch];
      for (int i = 0; i < batch; i++) {
        labels[i] = rnd.nextInt(spec.classes());
      }
      try (Tensor images = g.imagesTensor(batch, pixels);
          Tensor fedLabels = HostTensors.ints(new long[] {batch}, labels)) {
        pixels = null; // the host copy is not needed again: the peak is the step's
        return time(steps, () -> g.session().runner().feed(g.images(), images).feed(g.labels(), fedLabels)
            .addTarget(opt.update()).fetch(g.loss()));
      }
    }
  }

  private static double[][] lmSteps(String setting, int block, int batch, Recompute recompute, int steps, int layers)
      throws IOException {
    TransformerLsSetting s = TransformerLsSetting.load(setting);
    int phase = 0;
    for (int i = 0; i < s.phases().size(); i++) {
      phase = s.phases().get(i).block() == block ? i : phase;
    }
    boolean ownPhase = s.phases().get(phase).block() == block;
    TransformerLsSpec spec = ownPhase ? s.model(phase) : s.model(phase).toBuilder().setMemLen(block).build();
    spec = layers > 0 ? spec.toBuilder().setLayers(layers).build() : spec;
    OptimizerSpec optimizer = s.phases().get(phase).optimizer();
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(spec, TFloat32.class, batch, block, 1, null,
        XlaPieces.INSTANCE, recompute)) {
      Optimizer<TFloat32> opt = new Optimizer<>(lm.graph(), optimizer, lm.parameters().list(), lm.gradients());
      Random rnd = new Random(0);
      int[] ids = new int[batch * block];
      int[] targets = new int[batch * block];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rnd.nextInt(spec.vocabSize());
        targets[i] = rnd.nextInt(spec.vocabSize());
      }
      double[] cache = new double[Math.toIntExact(lm.cacheShape().size())];
      for (int i = 0; i < cache.length; i++) {
        cache[i] = rnd.nextGaussian();
      }
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.ints(new long[] {batch, block}, ids));
        fed.add(HostTensors.ints(new long[] {batch, block}, targets));
        fed.add(HostTensors.of(TFloat32.class, lm.cacheShape().asArray(), cache));
        cache = null; // the host copy is not needed again: the peak is the step's
        fed.add(TInt64.vectorOf(1, 0));
        fed.add(TFloat32.scalarOf((float) spec.dropout()));
        return time(steps, () -> lm.session().runner().feed(lm.inputs().get("input_ids"), fed.get(0))
            .feed(lm.inputs().get("targets"), fed.get(1)).feed(lm.inputs().get("cache"), fed.get(2))
            .feed(lm.dropoutSeed(), fed.get(3)).feed(lm.dropoutRate(), fed.get(4)).addTarget(opt.update())
            .fetch(lm.loss()));
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  /**
   * Runs the step once to warm up, then {@code steps} times: the wall milliseconds of each timed run,
   * then the process's CPU milliseconds in each (all threads: TensorFlow's pools). With
   * {@code -Drecompute.trace=FILE}, one more step runs with TensorFlow's full trace and the graphs it
   * ran, and its RunMetadata (step stats: each node's times and output buffers) is written to FILE for
   * {@code bench/recompute/live_tensors.py}.
   */
  private static double[][] time(int steps, java.util.function.Supplier<Session.Runner> step) throws IOException {
    double[] ms = new double[steps];
    double[] cpuMs = new double[steps];
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    for (int s = -1; s < steps; s++) {
      long t0 = System.nanoTime();
      long cpu0 = os.getProcessCpuTime();
      step.get().run().close();
      Phases.mark(s < 0 ? "warm-up step" : "step " + (s + 1));
      if (s >= 0) {
        ms[s] = (System.nanoTime() - t0) / 1e6;
        cpuMs[s] = (os.getProcessCpuTime() - cpu0) / 1e6;
      }
    }
    String trace = System.getProperty("recompute.trace");
    if (trace != null) {
      Session.Runner traced = step.get().setOptions(RunOptions.newBuilder()
          .setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).setOutputPartitionGraphs(true).build());
      try (Result r = traced.runAndFetchMetadata()) {
        AtomicFiles.write(Path.of(trace), r.getMetadata().orElseThrow().toByteArray());
      }
    }
    return new double[][] {ms, cpuMs};
  }
}
