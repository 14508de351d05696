package io.longshort.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import io.longshort.spec.Enums;
import io.longshort.spec.Json;

/**
 * How parameters are updated: the rule, its hyper-parameters and the learning-rate schedule.
 * Defaults are the authors' LRA setting: AdamW, lr 1e-4, betas (0.9, 0.999), eps 1e-6, linear
 * warm-up then linear decay.
 */
@JsonPropertyOrder({"type", "learningRate", "beta1", "beta2", "epsilon", "weightDecay", "momentum",
    "schedule", "warmupSteps", "totalSteps", "clipNorm", "accumulationSteps"})
public final class OptimizerSpec {
  private final Type type;
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double weightDecay;
  private final double momentum;
  private final Schedule schedule;
  private final int warmupSteps;
  private final int totalSteps;
  private final double clipNorm;
  private final int accumulationSteps;

  /** The update rule. */
  public enum Type {
    /** Adam with decoupled weight decay (PyTorch's AdamW). */
    ADAMW,
    /** Adam; weight decay, if any, is added to the gradient (PyTorch's Adam). */
    ADAM,
    /** SGD with (PyTorch-style) momentum; weight decay added to the gradient. */
    SGD;

    @JsonValue
    public String jsonName() {
      return Enums.jsonName(this);
    }

    @JsonCreator
    public static Type fromJson(String s) {
      return Enums.fromJson(Type.class, "type", s);
    }
  }

  /** The learning rate after warm-up (which rises linearly from 0 over warmupSteps). */
  public enum Schedule {
    /** Stays at learningRate. */
    CONSTANT,
    /** Falls linearly to 0 at totalSteps. */
    LINEAR,
    /** Falls along half a cosine to 0 at totalSteps. */
    COSINE;

    @JsonValue
    public String jsonName() {
      return Enums.jsonName(this);
    }

    @JsonCreator
    public static Schedule fromJson(String s) {
      return Enums.fromJson(Schedule.class, "schedule", s);
    }
  }

  /**
   * Every value by position: not public. Build one by name ({@link AdamW#builder()},
   * {@link Adam#builder()}, {@link Sgd#builder()}) or read one ({@link #parseJson}).
   */
  @JsonCreator
  OptimizerSpec(
      @JsonProperty("type") Type type,
      @JsonProperty("learningRate") double learningRate,
      @JsonProperty("beta1") double beta1,
      @JsonProperty("beta2") double beta2,
      @JsonProperty("epsilon") double epsilon,
      @JsonProperty("weightDecay") double weightDecay,
      @JsonProperty("momentum") double momentum,
      @JsonProperty("schedule") Schedule schedule,
      @JsonProperty("warmupSteps") int warmupSteps,
      @JsonProperty("totalSteps") int totalSteps,
      @JsonProperty("clipNorm") double clipNorm,
      @JsonProperty("accumulationSteps") int accumulationSteps) {
    check(type != null, "type is required (adamw, adam or sgd)");
    check(schedule != null, "schedule is required (constant, linear or cosine)");
    check(learningRate > 0 && Double.isFinite(learningRate), "learningRate (" + learningRate + ") must be > 0");
    // the optimizer computes in float32: a rate below its normal numbers underflows (1e-46 trains at 0)
    check(learningRate >= Float.MIN_NORMAL && learningRate <= Float.MAX_VALUE, "learningRate (" + learningRate
        + ") is outside float32's normal range (" + Float.MIN_NORMAL + " .. " + Float.MAX_VALUE + ")");
    check(beta1 >= 0 && beta1 < 1, "beta1 (" + beta1 + ") must be in [0, 1)");
    check(beta2 >= 0 && beta2 < 1, "beta2 (" + beta2 + ") must be in [0, 1)");
    check(epsilon > 0, "epsilon (" + epsilon + ") must be > 0");
    check(weightDecay >= 0, "weightDecay (" + weightDecay + ") must be >= 0");
    check(momentum >= 0 && momentum < 1, "momentum (" + momentum + ") must be in [0, 1)");
    check(warmupSteps >= 0, "warmupSteps (" + warmupSteps + ") must be >= 0");
    check(totalSteps >= 1, "totalSteps (" + totalSteps + ") must be >= 1");
    check(schedule == Schedule.CONSTANT || warmupSteps < totalSteps, "warmupSteps (" + warmupSteps
        + ") must be smaller than totalSteps (" + totalSteps + ") for a decaying schedule");
    check(clipNorm >= 0, "clipNorm (" + clipNorm + ") must be >= 0 (0 = no clipping)");
    check(accumulationSteps >= 1, "accumulationSteps (" + accumulationSteps + ") must be >= 1");
    this.type = type;
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
    this.momentum = momentum;
    this.schedule = schedule;
    this.warmupSteps = warmupSteps;
    this.totalSteps = totalSteps;
    this.clipNorm = clipNorm;
    this.accumulationSteps = accumulationSteps;
  }

  @JsonProperty("type")
  public Type type() {
    return type;
  }

  @JsonProperty("learningRate")
  public double learningRate() {
    return learningRate;
  }

  @JsonProperty("beta1")
  public double beta1() {
    return beta1;
  }

  @JsonProperty("beta2")
  public double beta2() {
    return beta2;
  }

  @JsonProperty("epsilon")
  public double epsilon() {
    return epsilon;
  }

  @JsonProperty("weightDecay")
  public double weightDecay() {
    return weightDecay;
  }

  @JsonProperty("momentum")
  public double momentum() {
    return momentum;
  }

  @JsonProperty("schedule")
  public Schedule schedule() {
    return schedule;
  }

  @JsonProperty("warmupSteps")
  public int warmupSteps() {
    return warmupSteps;
  }

  @JsonProperty("totalSteps")
  public int totalSteps() {
    return totalSteps;
  }

  @JsonProperty("clipNorm")
  public double clipNorm() {
    return clipNorm;
  }

  @JsonProperty("accumulationSteps")
  public int accumulationSteps() {
    return accumulationSteps;
  }

  /** The authors' LRA optimizer for a run of {@code totalSteps} with {@code warmupSteps} of warm-up. */
  public static OptimizerSpec authorsLra(int warmupSteps, int totalSteps) {
    return new OptimizerSpec(Type.ADAMW, 1e-4, 0.9, 0.999, 1e-6, 0.0, 0.0, Schedule.LINEAR, warmupSteps,
        totalSteps, 0.0, 1);
  }

  /** A builder of the rule {@code type} (as {@link AdamW#builder()}, {@link Adam#builder()}, {@link Sgd#builder()}). */
  public static OptimizerBuilder builder(Type type) {
    return new OptimizerBuilder(java.util.Objects.requireNonNull(type, "type"));
  }

  /** A builder holding this spec's values, to change some of them by name. */
  public OptimizerBuilder toBuilder() {
    return builder(type).setLearningRate(learningRate).optBetas(beta1, beta2).optEpsilon(epsilon)
        .optWeightDecay(weightDecay).optMomentum(momentum).optSchedule(schedule).optWarmup(warmupSteps)
        .optTotalSteps(totalSteps).optClipNorm(clipNorm).optAccumulationSteps(accumulationSteps);
  }

  public OptimizerSpec withLearningRate(double lr) {
    return new OptimizerSpec(type, lr, beta1, beta2, epsilon, weightDecay, momentum, schedule, warmupSteps,
        totalSteps, clipNorm, accumulationSteps);
  }

  /** This optimizer with another schedule length: {@code warmupSteps} of warm-up in a run of {@code totalSteps}. */
  public OptimizerSpec withSchedule(int warmupSteps, int totalSteps) {
    return new OptimizerSpec(type, learningRate, beta1, beta2, epsilon, weightDecay, momentum, schedule, warmupSteps,
        totalSteps, clipNorm, accumulationSteps);
  }

  /** The learning rate of the update made at 0-based step {@code step}, as the graph computes it. */
  public double learningRateAt(long step) {
    if (step < warmupSteps) {
      return learningRate * step / warmupSteps;
    }
    double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return switch (schedule) {
      case CONSTANT -> learningRate;
      case LINEAR -> learningRate * (1 - progress);
      case COSINE -> learningRate * 0.5 * (1 + Math.cos(Math.PI * progress));
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OptimizerSpec x && type == x.type && Double.compare(learningRate, x.learningRate) == 0
        && Double.compare(beta1, x.beta1) == 0 && Double.compare(beta2, x.beta2) == 0
        && Double.compare(epsilon, x.epsilon) == 0 && Double.compare(weightDecay, x.weightDecay) == 0
        && Double.compare(momentum, x.momentum) == 0 && schedule == x.schedule && warmupSteps == x.warmupSteps
        && totalSteps == x.totalSteps && Double.compare(clipNorm, x.clipNorm) == 0
        && accumulationSteps == x.accumulationSteps;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(type, learningRate, beta1, beta2, epsilon, weightDecay, momentum, schedule,
        warmupSteps, totalSteps, clipNorm, accumulationSteps);
  }

  /** The JSON form, e.g. in messages. */
  @Override
  public String toString() {
    return "OptimizerSpec" + toJson();
  }

  public String toJson() {
    return Json.write(this);
  }

  public static OptimizerSpec parseJson(String json) {
    return Json.read(json, OptimizerSpec.class);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("OptimizerSpec: " + message);
    }
  }
}
