package io.longshort.train;

import io.longshort.data.BatchSource;
import io.longshort.graph.model.TrainableModel;
import java.util.List;
import org.tensorflow.Session;

/**
 * One update of a training run, however it is computed: plain ops ({@link PlainStep}, with or
 * without gradient accumulation), one XLA-compiled call ({@link CompiledStep}), or replicas on a
 * cluster ({@code distributed.ReplicatedStep}). The training loop ({@link TrainingLoop}) runs any
 * of them the same way: same data order, dropout seeds, checkpoints and evaluations.
 */
public interface TrainStep {
  /** What an update reports: the mean loss of its batch (before the update), its learning rate, the gradient norm before clipping. */
  record Outcome(double loss, double learningRate, double gradientNorm) {
    /** From a run that fetched the loss, the learning rate and the gradient norm, in that order. */
    public static Outcome of(org.tensorflow.Result r) {
      return new Outcome(scalar(r.get(0)), scalar(r.get(1)), scalar(r.get(2)));
    }

    /**
     * Applies the update on the gradients accumulated by an update's micro-batches (their mean; the
     * accumulators restart from zero), reporting {@code meanLoss}, the micro-batches' mean loss.
     */
    public static Outcome ofAccumulated(Session session, Optimizer<?> optimizer, double meanLoss) {
      try (var r = session.runner().fetch(optimizer.learningRate()).fetch(optimizer.gradientNorm())
          .addTarget(optimizer.update()).run()) {
        return new Outcome(meanLoss, scalar(r.get(0)), scalar(r.get(1)));
      }
    }

    private static double scalar(org.tensorflow.Tensor t) {
      return io.longshort.graph.core.HostTensors.toDoubles(t)[0];
    }
  }

  /** The session the step, checkpoints and evaluations run in. */
  Session session();

  /** The optimizer whose state (slots, step counter) the step updates. */
  Optimizer<?> optimizer();

  /**
   * Runs update {@code step} (0-based) on the data's batches for it: batch {@code step}, or batches
   * {@code step * k .. step * k + k - 1} when accumulating over k micro-batches.
   */
  Outcome run(long step, BatchSource data);

  /** Examples (rows of batches) one update sees: one batch unless the step says otherwise. */
  default long examplesPerUpdate(int batchSize) {
    return batchSize;
  }

  /**
   * State the step carries from one update to the next besides the parameters and the optimizer
   * (e.g. the truncated-BPTT cache), checkpointed after them; none by default.
   */
  default List<TrainingVariable> state() {
    return List.of();
  }

  /**
   * Every variable of the training state in checkpoint order: the model's parameters, then the
   * optimizer's slots and step.
   */
  static List<TrainingVariable> variables(TrainableModel<?> model, Optimizer<?> optimizer) {
    List<TrainingVariable> out = new java.util.ArrayList<>();
    addParameters(model.parameters(), out);
    org.tensorflow.op.Ops setOptimizer = org.tensorflow.op.Ops.create(model.graph()).withSubScope("set_optimizer");
    optimizer.state().forEach(v -> out.add(TrainingVariable.of(setOptimizer, v)));
    return out;
  }

  private static <T extends org.tensorflow.types.family.TFloating> void addParameters(
      io.longshort.graph.core.Parameters<T> params, List<TrainingVariable> out) {
    params.list().forEach(p -> out.add(TrainingVariable.of(params, p)));
  }
}
