package io.longshort.bench;

import io.longshort.data.Batch;
import io.longshort.data.BatchSource;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.TrainableModel;
import io.longshort.io.HostArray;
import io.longshort.spec.ModelOverrides;
import io.longshort.spec.ModelSpec;
import io.longshort.train.Model;
import io.longshort.train.Optimizer;
import io.longshort.train.PlainStep;
import io.longshort.train.TrainingSetting;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/**
 * Whether a shipped LRA training setting's step repeats bit for bit: the same steps from the same
 * initial weights, run several times in one process, each time in a fresh graph and session, must
 * end with bit-equal weights. TF's CPU {@code AddN} of three or more gradients adds in an order that
 * depends on thread timing ({@link io.longshort.graph.core.FanOut}), so a step with such sums
 * diverges in some runs and not in others: a check needs many runs.
 *
 * <p>{@code RepeatabilityCheck SETTING LENGTH BATCH STEPS RUNS}: the setting's model and optimizer
 * (dropout as the setting says), XLA off, compiled pieces as {@code train} (none below 2^20
 * elements), random batches (ids, a random real length per row, labels) drawn from the step index.
 * Prints one line per run (its weights' hash and whether they equal the first run's), then
 * {@code diverged K of RUNS-1}.
 */
public final class RepeatabilityCheck {
  private RepeatabilityCheck() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: RepeatabilityCheck SETTING LENGTH BATCH STEPS RUNS"
          + " (e.g. lra_listops 128 8 300 10)");
      System.exit(2);
    }
    String setting = args[0];
    int length = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int steps = Integer.parseInt(args[3]);
    int runs = Integer.parseInt(args[4]);
    TrainingSetting ts = TrainingSetting.load(setting);
    ModelSpec spec = ts.loadModel(ModelOverrides.builder().build());
    List<float[]> first = null;
    int diverged = 0;
    for (int run = 0; run < runs; run++) {
      long t0 = System.nanoTime();
      List<float[]> weights = train(ts, spec, length, batch, steps);
      boolean same = first == null || equal(first, weights);
      if (first == null) {
        first = weights;
      } else if (!same) {
        diverged++;
      }
      System.out.printf(Locale.ROOT, "run %d: weights hash %08x, %s (%.1f s)%n", run, hash(weights),
          run == 0 ? "first" : same ? "bit-equal to run 0" : "DIFFERS from run 0", (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf(Locale.ROOT, "%s length %d batch %d, %d steps: diverged %d of %d%n", setting, length, batch,
        steps, diverged, runs - 1);
  }

  private static List<float[]> train(TrainingSetting ts, ModelSpec spec, int length, int batch, int steps)
      throws java.io.IOException {
    long seed = 1;
    try (TrainableModel<?> model = Model.of(spec).buildTraining(new Model.Build(TFloat32.class, TFloat32.class,
        batch, length, seed, io.longshort.compile.XlaPieces.INSTANCE, null))) {
      Optimizer<TFloat32> opt = PlainStep.optimizer(model, ts.optimizer(), TFloat32.class);
      PlainStep step = new PlainStep(model, opt, seed);
      BatchSource data = new BatchSource() {
        @Override
        public Batch batch(long i) {
          return randomBatch(spec, batch, length, i);
        }

        @Override
        public long batchesPerEpoch() {
          return Long.MAX_VALUE;
        }
      };
      for (long i = 0; i < steps; i++) {
        step.run(i, data);
      }
      List<float[]> out = new ArrayList<>();
      for (Parameter<?> p : model.parameters().list()) {
        try (Result r = model.session().runner().fetch(p.value()).run()) {
          double[] d = HostTensors.toDoubles(r.get(0));
          float[] f = new float[d.length];
          for (int k = 0; k < d.length; k++) {
            f[k] = (float) d[k];
          }
          out.add(f);
        }
      }
      return out;
    }
  }

  /** {@link RandomTensors#paddedClassifierBatch} of step {@code index}, as the step's feed. */
  private static Batch randomBatch(ModelSpec spec, int batch, int length, long index) {
    RandomTensors.ClassifierBatch random = RandomTensors.paddedClassifierBatch(spec, batch, length, index);
    Map<String, HostArray> arrays = new LinkedHashMap<>();
    arrays.put("input_ids", HostArray.ints(new long[] {batch, length}, random.ids()));
    arrays.put("mask", HostArray.ints(new long[] {batch, length}, random.mask()));
    arrays.put(Batch.LABELS, HostArray.ints(new long[] {batch}, random.labels()));
    return new Batch(arrays, batch);
  }

  private static boolean equal(List<float[]> a, List<float[]> b) {
    for (int i = 0; i < a.size(); i++) {
      if (!Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static int hash(List<float[]> w) {
    int h = 1;
    for (float[] f : w) {
      h = 31 * h + Arrays.hashCode(f);
    }
    return h;
  }
}
