package io.longshort.train;

import io.longshort.data.Batch;
import io.longshort.graph.model.TrainableModel;
import io.longshort.io.HostArray;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Feeds a batch to a model's placeholders by name, the one way every step and evaluation does:
 * each input, the labels, and (training steps) the dropout seed (seed, i) and rate. The tensors
 * made go to {@code fed}, for the caller to close after the run.
 */
public final class Feeds {
  private Feeds() {}

  /** The model's inputs and labels from {@code batch}, checking each array's shape against its placeholder's. */
  public static Session.Runner feed(Session.Runner runner, Map<String, ? extends Operand<?>> inputs,
      Operand<?> labels, Batch batch, List<Tensor> fed) {
    for (var in : inputs.entrySet()) {
      feedOne(runner, in.getKey(), in.getValue(), batch.get(in.getKey()), fed);
    }
    return feedOne(runner, Batch.LABELS, labels, batch.get(Batch.LABELS), fed);
  }

  public static Session.Runner feed(Session.Runner runner, TrainableModel<?> model, Batch batch, List<Tensor> fed) {
    return feed(runner, model.inputs(), model.labels(), batch, fed);
  }

  /** The dropout seed (seed, i) and rate, when the model has dropout. */
  public static Session.Runner dropout(Session.Runner runner, Operand<TInt64> seedInput, Operand<TFloat32> rateInput,
      long seed, long i, double rate, List<Tensor> fed) {
    if (seedInput != null) {
      Tensor s = TInt64.vectorOf(seed, i);
      fed.add(s);
      runner.feed(seedInput, s);
    }
    if (rateInput != null) {
      Tensor r = TFloat32.scalarOf((float) rate);
      fed.add(r);
      runner.feed(rateInput, r);
    }
    return runner;
  }

  /**
   * One training step of {@code model} on {@code batch} in its session: the batch and the dropout
   * of (seed, step) fed, {@code loss}, {@code learningRate} and {@code gradientNorm} fetched, and
   * {@code target} run when not null.
   */
  public static TrainStep.Outcome runStep(TrainableModel<?> model, Batch batch, long seed, long step,
      org.tensorflow.op.Op target, Operand<?> loss, Operand<?> learningRate, Operand<?> gradientNorm) {
    double[] r = runScalars(model, batch, seed, step, target, loss, learningRate, gradientNorm);
    return new TrainStep.Outcome(r[0], r[1], r[2]);
  }

  /**
   * {@code model} on {@code batch} in its session, the batch and the dropout of (seed, step) fed:
   * runs {@code target} when not null and returns the scalar {@code fetches}.
   */
  public static double[] runScalars(TrainableModel<?> model, Batch batch, long seed, long step,
      org.tensorflow.op.Op target, Operand<?>... fetches) {
    List<Tensor> fed = new java.util.ArrayList<>();
    try {
      Session.Runner runner = feed(model.session().runner(), model, batch, fed);
      dropout(runner, model.dropoutSeed(), model.dropoutRate(), seed, step, model.trainingDropout(), fed);
      for (Operand<?> f : fetches) {
        runner.fetch(f);
      }
      if (target != null) {
        runner.addTarget(target);
      }
      try (var r = runner.run()) {
        double[] out = new double[fetches.length];
        for (int i = 0; i < out.length; i++) {
          out[i] = io.longshort.graph.core.HostTensors.toDoubles(r.get(i))[0];
        }
        return out;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private static Session.Runner feedOne(Session.Runner runner, String name, Operand<?> input, HostArray a,
      List<Tensor> fed) {
    long[] want = input.shape().asArray();
    boolean ok = want == null || want.length == a.shape().length;
    for (int i = 0; ok && i < want.length; i++) {
      ok = want[i] < 0 || want[i] == a.shape()[i];
    }
    if (!ok) {
      throw new IllegalArgumentException("batch of shape " + java.util.Arrays.toString(a.shape()) + " for '" + name
          + "'; the graph takes " + input.shape());
    }
    Tensor t = a.tensor();
    fed.add(t);
    return runner.feed(input, t);
  }
}
