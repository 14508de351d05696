package io.longshort.train;

/**
 * How a run goes: batch shape, length of the run, evaluation, checkpoints and early stopping.
 *
 * @param batchSize B, examples per micro-batch (an update sees batchSize x accumulationSteps)
 * @param length N, tokens per example
 * @param steps updates in the run
 * @param seed data order, dropout and initial weights all follow from it
 * @param evalEvery evaluate every this many updates (and at the end)
 * @param evalBatches batches of the validation data per evaluation (0 = all)
 * @param checkpointEvery checkpoint every this many updates (and at the end)
 * @param keepCheckpoints how many of the newest checkpoints stay
 * @param earlyStopPatience stop after this many evaluations without a better validation loss (0 = never)
 */
public record TrainConfig(int batchSize, int length, long steps, long seed, int evalEvery, int evalBatches,
    int checkpointEvery, int keepCheckpoints, int earlyStopPatience) {

  public TrainConfig {
    check(batchSize >= 1, "batchSize (" + batchSize + ") must be >= 1");
    check(length >= 1, "length (" + length + ") must be >= 1");
    check(steps >= 1, "steps (" + steps + ") must be >= 1");
    check(evalEvery >= 1, "evalEvery (" + evalEvery + ") must be >= 1");
    check(evalBatches >= 0, "evalBatches (" + evalBatches + ") must be >= 0");
    check(checkpointEvery >= 1, "checkpointEvery (" + checkpointEvery + ") must be >= 1");
    check(keepCheckpoints >= 1, "keepCheckpoints (" + keepCheckpoints + ") must be >= 1");
    check(earlyStopPatience >= 0, "earlyStopPatience (" + earlyStopPatience + ") must be >= 0");
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("TrainConfig: " + message);
    }
  }
}
