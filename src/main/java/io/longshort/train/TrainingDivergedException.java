package io.longshort.train;

/**
 * A training run stopped because its loss or gradient norm (or a weight) stopped being finite.
 * Nothing of the diverged state was checkpointed.
 */
public final class TrainingDivergedException extends RuntimeException {
  private final long step;

  public TrainingDivergedException(long step, String what, java.nio.file.Path lastGood) {
    super("training diverged at step " + step + ": " + what + "; stopped without checkpointing it. The last good"
        + " checkpoint is " + (lastGood == null ? "none (no checkpoint was written yet)" : lastGood.toString())
        + ". Try a lower learning rate (--lr), a longer warm-up, or gradient clipping.");
    this.step = step;
  }

  /** The update (1-based) whose loss or gradients were not finite. */
  public long step() {
    return step;
  }
}
