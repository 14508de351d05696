package io.longshort.train;

import io.longshort.train.OptimizerSpec.Schedule;
import io.longshort.train.OptimizerSpec.Type;

/**
 * An {@link OptimizerSpec} by named options, started from {@link AdamW#builder()},
 * {@link Adam#builder()} or {@link Sgd#builder()}: {@code setLearningRate} is required, every
 * {@code opt...} has the authors' LRA default (betas 0.9 and 0.999, epsilon 1e-6, no weight decay,
 * no momentum, linear schedule without warm-up, no clipping, no accumulation). {@link #build()}
 * checks the values with {@link OptimizerSpec}'s messages.
 */
public final class OptimizerBuilder {
  private final Type type;
  private double learningRate = Double.NaN;
  private double beta1 = 0.9;
  private double beta2 = 0.999;
  private double epsilon = 1e-6;
  private double weightDecay;
  private double momentum;
  private Schedule schedule = Schedule.LINEAR;
  private int warmupSteps;
  private int totalSteps;
  private double clipNorm;
  private int accumulationSteps = 1;

  OptimizerBuilder(Type type) {
    this.type = type;
  }

  public OptimizerBuilder setLearningRate(double learningRate) {
    this.learningRate = learningRate;
    return this;
  }

  /** Adam's moment decays (AdamW, Adam). */
  public OptimizerBuilder optBetas(double beta1, double beta2) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    return this;
  }

  public OptimizerBuilder optEpsilon(double epsilon) {
    this.epsilon = epsilon;
    return this;
  }

  /** Decoupled for AdamW, added to the gradient for Adam and SGD. */
  public OptimizerBuilder optWeightDecay(double weightDecay) {
    this.weightDecay = weightDecay;
    return this;
  }

  /** SGD's momentum (PyTorch-style). */
  public OptimizerBuilder optMomentum(double momentum) {
    this.momentum = momentum;
    return this;
  }

  /** The learning rate after warm-up: constant, linear or cosine decay to 0 at the total steps. */
  public OptimizerBuilder optSchedule(Schedule schedule) {
    this.schedule = schedule;
    return this;
  }

  /** The schedule by its JSON name ("constant", "linear", "cosine"). */
  public OptimizerBuilder optSchedule(String schedule) {
    return optSchedule(Schedule.fromJson(schedule));
  }

  /** Steps over which the learning rate rises linearly from 0. */
  public OptimizerBuilder optWarmup(int warmupSteps) {
    this.warmupSteps = warmupSteps;
    return this;
  }

  /** The steps the schedule spans (a trainer sets its own steps when this is not given). */
  public OptimizerBuilder optTotalSteps(int totalSteps) {
    this.totalSteps = totalSteps;
    return this;
  }

  /** Clips the global gradient norm (0: no clipping). */
  public OptimizerBuilder optClipNorm(double clipNorm) {
    this.clipNorm = clipNorm;
    return this;
  }

  /** Batches whose gradients are summed into one update. */
  public OptimizerBuilder optAccumulationSteps(int accumulationSteps) {
    this.accumulationSteps = accumulationSteps;
    return this;
  }

  /** The spec; fails with OptimizerSpec's message on a bad value or a missing learning rate. */
  public OptimizerSpec build() {
    if (Double.isNaN(learningRate)) {
      throw new IllegalArgumentException("OptimizerSpec: learningRate is required (setLearningRate)");
    }
    return new OptimizerSpec(type, learningRate, beta1, beta2, epsilon, weightDecay, momentum, schedule,
        warmupSteps, totalSteps, clipNorm, accumulationSteps);
  }

  /** {@link #build()} with {@code totalSteps} unless {@link #optTotalSteps} was given (what a trainer calls). */
  public OptimizerSpec buildFor(int totalSteps) {
    if (this.totalSteps == 0) {
      this.totalSteps = totalSteps;
    }
    return build();
  }
}
