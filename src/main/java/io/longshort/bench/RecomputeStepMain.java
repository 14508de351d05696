package io.longshort.bench;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.train.Optimizer;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * One process of bench/recompute: a shipped classifier config's plain training step (XLA off:
 * forward, loss, gradients, AdamW update, dropout at the config's rate), with or without
 * recomputation, on random bytes. Prints {@code RECOMPUTE <mode> n=<N> batch=<B> vmhwm_mib=<peak>
 * step_ms=<times>}: VmHWM is this process's peak resident memory after the steps (one process per
 * measurement, so each peak is its own).
 *
 * <p>args: config name, N, batch, plain|recompute, timed steps (after one warm-up step).
 */
public final class RecomputeStepMain {
  private RecomputeStepMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 5 || !(args[3].equals("plain") || args[3].equals("recompute"))) {
      throw new IllegalArgumentException("args: CONFIG N BATCH plain|recompute STEPS, got " + Arrays.toString(args));
    }
    ModelSpec spec = ModelConfigs.load(args[0]);
    int n = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    boolean recompute = args[3].equals("recompute");
    int steps = Integer.parseInt(args[4]);
    try (ModelGraph<TFloat32> g = ModelGraph.builder(n <= spec.maxLength() ? spec
        : spec.toBuilder().setMaxLength(n).build())
        .setDtype(TFloat32.class).setBatch(batch).setLength(n).optSeed(1).optTraining(true).optRecompute(recompute ? io.longshort.compile.Recompute.INSTANCE : null)
        .build()) {
      Optimizer<TFloat32> opt = PlainStep.optimizer(g, OptimizerSpec.authorsLra(100, 10_000), TFloat32.class);
      Random rnd = new Random(0);
      int[] ids = new int[batch * n];
      int[] mask = new int[batch * n];
      int[] labels = new int[batch];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1 + rnd.nextInt(spec.vocabSize() - 1);
        mask[i] = 1;
      }
      for (int i = 0; i < batch; i++) {
        labels[i] = rnd.nextInt(spec.classes());
      }
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.ints(new long[] {batch, n}, ids));
        fed.add(HostTensors.ints(new long[] {batch, n}, mask));
        fed.add(HostTensors.ints(new long[] {batch}, labels));
        fed.add(TInt64.vectorOf(1, 0));
        fed.add(TFloat32.scalarOf((float) spec.dropout()));
        double[] ms = new double[steps];
        for (int s = -1; s < steps; s++) {
          long t0 = System.nanoTime();
          g.session().runner().feed(g.inputs().get("input_ids"), fed.get(0)).feed(g.inputs().get("mask"), fed.get(1))
              .feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3)).feed(g.dropoutRate(), fed.get(4))
              .addTarget(opt.update()).fetch(g.loss()).run().close();
          if (s >= 0) { // step -1 warms up
            ms[s] = (System.nanoTime() - t0) / 1e6;
          }
        }
        StringBuilder times = new StringBuilder();
        for (double t : ms) {
          times.append(times.length() == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.0f", t));
        }
        System.out.printf(java.util.Locale.ROOT, "RECOMPUTE %s n=%d batch=%d vmhwm_mib=%d step_ms=%s%n", args[3], n,
            batch, PeakMemory.selfPeak() >> 20, times);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }
}
