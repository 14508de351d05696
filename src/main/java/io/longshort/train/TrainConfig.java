package io.longshort.train;

import io.longshort.graph.core.Recomputation;

/**
 * How a run goes: batch shape, length of the run, evaluation, checkpoints and early stopping.
 * Built by name: {@code TrainConfig.builder().setBatchSize(32).setLength(2048).setSteps(5000)
 * .optEvalEvery(250).build()}; {@code build()} checks every number and names the field.
 */
public final class TrainConfig {
  private final int batchSize;
  private final int length;
  private final long steps;
  private final long seed;
  private final int evalEvery;
  private final int evalBatches;
  private final int checkpointEvery;
  private final int keepCheckpoints;
  private final int earlyStopPatience;
  private final BestMetric bestMetric;
  private final String dataFingerprint;
  private final Recomputation.Segments recompute;

  private TrainConfig(Builder b) {
    batchSize = b.batchSize;
    length = b.length;
    steps = b.steps;
    seed = b.seed;
    evalEvery = b.evalEvery == null ? (int) Math.min(Integer.MAX_VALUE, steps) : b.evalEvery;
    evalBatches = b.evalBatches;
    checkpointEvery = b.checkpointEvery == null ? (int) Math.min(Integer.MAX_VALUE, steps) : b.checkpointEvery;
    keepCheckpoints = b.keepCheckpoints;
    earlyStopPatience = b.earlyStopPatience;
    bestMetric = b.bestMetric;
    dataFingerprint = b.dataFingerprint;
    recompute = b.recompute;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values, to change some of them. */
  public Builder toBuilder() {
    return new Builder().setBatchSize(batchSize).setLength(length).setSteps(steps).optSeed(seed)
        .optEvalEvery(evalEvery).optEvalBatches(evalBatches).optCheckpointEvery(checkpointEvery)
        .optKeepCheckpoints(keepCheckpoints).optEarlyStopPatience(earlyStopPatience).optBestMetric(bestMetric)
        .optDataFingerprint(dataFingerprint)
        .optRecompute(recompute);
  }

  /** Whether each block's activations are rebuilt in the backward pass (gradient checkpointing). */
  public boolean recompute() {
    return recompute != null;
  }

  /** The rebuilt segments, whole blocks or halves ({@link Recomputation.Segments}), or null without recomputation. */
  public Recomputation.Segments recomputeSegments() {
    return recompute;
  }

  /** B, examples per micro-batch (an update sees batchSize x accumulationSteps). */
  public int batchSize() {
    return batchSize;
  }

  /** N, tokens per example; 0 for models without a length (images). */
  public int length() {
    return length;
  }

  /** Updates in the run. */
  public long steps() {
    return steps;
  }

  /** Data order, dropout and initial weights all follow from it. */
  public long seed() {
    return seed;
  }

  /** Evaluate every this many updates (and at the end). */
  public int evalEvery() {
    return evalEvery;
  }

  /** Batches of the validation data per evaluation (0 = all). */
  public int evalBatches() {
    return evalBatches;
  }

  /** Checkpoint every this many updates (and at the end). */
  public int checkpointEvery() {
    return checkpointEvery;
  }

  /** How many of the newest checkpoints stay (the best one stays besides). */
  public int keepCheckpoints() {
    return keepCheckpoints;
  }

  /** Stop after this many evaluations without a better validation loss (0 = never). */
  public int earlyStopPatience() {
    return earlyStopPatience;
  }

  /**
   * The validation metric that picks the best checkpoint and counts the early-stop patience; null:
   * the task's default ({@link BestMetric#defaultFor}: accuracy for classifiers, loss for
   * language models).
   */
  public BestMetric bestMetric() {
    return bestMetric;
  }

  /**
   * The training data's {@link io.longshort.io.ContentFingerprint} (train and validation files),
   * which a resume must match; null when the caller gives none (nothing is checked).
   */
  public String dataFingerprint() {
    return dataFingerprint;
  }

  @Override
  public String toString() {
    return "TrainConfig{batchSize=" + batchSize + ", length=" + length + ", steps=" + steps + ", seed=" + seed
        + ", evalEvery=" + evalEvery + ", evalBatches=" + evalBatches + ", checkpointEvery=" + checkpointEvery
        + ", keepCheckpoints=" + keepCheckpoints + ", earlyStopPatience=" + earlyStopPatience
        + ", bestMetric=" + bestMetric + "}";
  }

  /**
   * Required: batchSize, steps. Optional: length (0: none), seed (0), evalEvery and
   * checkpointEvery (both default to steps: once, at the end), evalBatches (0 = all),
   * keepCheckpoints (3), earlyStopPatience (0 = never), bestMetric (null: the task's default).
   */
  public static final class Builder {
    private Integer batchSize;
    private int length;
    private Long steps;
    private long seed;
    private Integer evalEvery;
    private int evalBatches;
    private Integer checkpointEvery;
    private int keepCheckpoints = 3;
    private int earlyStopPatience;
    private BestMetric bestMetric;
    private String dataFingerprint;
    private Recomputation.Segments recompute;

    private Builder() {}

    public Builder setBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    public Builder setSteps(long steps) {
      this.steps = steps;
      return this;
    }

    public Builder setLength(int length) {
      this.length = length;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder optEvalEvery(int evalEvery) {
      this.evalEvery = evalEvery;
      return this;
    }

    public Builder optEvalBatches(int evalBatches) {
      this.evalBatches = evalBatches;
      return this;
    }

    public Builder optCheckpointEvery(int checkpointEvery) {
      this.checkpointEvery = checkpointEvery;
      return this;
    }

    public Builder optKeepCheckpoints(int keepCheckpoints) {
      this.keepCheckpoints = keepCheckpoints;
      return this;
    }

    public Builder optEarlyStopPatience(int earlyStopPatience) {
      this.earlyStopPatience = earlyStopPatience;
      return this;
    }

    /**
     * Gradient checkpointing of whole blocks ({@code --recompute}, {@link
     * io.longshort.graph.model.ModelGraph.Builder#optRecompute}), or none.
     */
    public Builder optRecompute(boolean recompute) {
      this.recompute = recompute ? Recomputation.Segments.BLOCKS : null;
      return this;
    }

    /**
     * Gradient checkpointing of whole blocks or, for the classifiers, of each block's halves ({@code
     * --recompute halves}: a lower peak for more time); null: none.
     */
    public Builder optRecompute(Recomputation.Segments segments) {
      this.recompute = segments;
      return this;
    }

    public Builder optBestMetric(BestMetric bestMetric) {
      this.bestMetric = bestMetric;
      return this;
    }

    public Builder optDataFingerprint(String dataFingerprint) {
      this.dataFingerprint = dataFingerprint;
      return this;
    }

    public TrainConfig build() {
      check(batchSize != null, "batchSize is required (setBatchSize)");
      check(steps != null, "steps is required (setSteps)");
      check(batchSize >= 1, "batchSize (" + batchSize + ") must be >= 1");
      check(length >= 0, "length (" + length + ") must be >= 1 (or 0 for models without a length)");
      check(steps >= 1, "steps (" + steps + ") must be >= 1");
      check(evalEvery == null || evalEvery >= 1, "evalEvery (" + evalEvery + ") must be >= 1");
      check(evalBatches >= 0, "evalBatches (" + evalBatches + ") must be >= 0");
      check(checkpointEvery == null || checkpointEvery >= 1,
          "checkpointEvery (" + checkpointEvery + ") must be >= 1");
      check(keepCheckpoints >= 1, "keepCheckpoints (" + keepCheckpoints + ") must be >= 1");
      check(earlyStopPatience >= 0, "earlyStopPatience (" + earlyStopPatience + ") must be >= 0");
      return new TrainConfig(this);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("TrainConfig: " + message);
      }
    }
  }
}
