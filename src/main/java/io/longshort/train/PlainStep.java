package io.longshort.train;

import io.longshort.data.BatchSource;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.model.TrainableModel;
import org.tensorflow.Session;
import org.tensorflow.types.family.TFloating;

/**
 * The update as ops in the model's graph: gradients of the model's loss with respect to every
 * variable ({@link Gradients}) and the {@link Optimizer}'s update. With gradient accumulation
 * (the optimizer spec's accumulationSteps k > 1) an update runs k micro-batches, each adding up
 * its gradients, then applies the update on their mean; the reported loss is the mean over the
 * micro-batches. Every micro-batch of update s draws its dropout from (seed, s).
 */
public final class PlainStep implements TrainStep {
  private final TrainableModel<?> model;
  private final Optimizer<?> optimizer;
  private final long seed;

  public PlainStep(TrainableModel<?> model, Optimizer<?> optimizer, long seed) {
    this.model = model;
    this.optimizer = optimizer;
    this.seed = seed;
  }

  /** The optimizer of {@code spec} over every parameter of the model's training graph. */
  public static <V extends TFloating> Optimizer<V> optimizer(TrainableModel<?> model, OptimizerSpec spec,
      Class<V> variableDtype) {
    if (!model.training()) {
      throw new IllegalArgumentException("not a training graph: the model has no loss");
    }
    var vars = Gradients.asVariables(model.parameters().list(), variableDtype);
    return new Optimizer<>(model.graph(), spec, vars, Gradients.of(model.graph(), model.loss(), vars, variableDtype));
  }

  @Override
  public Session session() {
    return model.session();
  }

  @Override
  public Optimizer<?> optimizer() {
    return optimizer;
  }

  @Override
  public long examplesPerUpdate(int batchSize) {
    return (long) batchSize * optimizer.spec().accumulationSteps();
  }

  @Override
  public Outcome run(long step, BatchSource data) {
    int k = optimizer.spec().accumulationSteps();
    if (k == 1) {
      return Feeds.runStep(model, data.batch(step), seed, step, optimizer.update(), model.loss(),
          optimizer.learningRate(), optimizer.gradientNorm());
    }
    double loss = 0;
    for (int micro = 0; micro < k; micro++) {
      // only the loss: the learning rate and gradient norm belong to the update
      loss += Feeds.runScalars(model, data.batch(step * k + micro), seed, step, optimizer.accumulate(),
          model.loss())[0] / k;
    }
    return Outcome.ofAccumulated(model.session(), optimizer, loss);
  }
}
