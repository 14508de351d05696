package io.longshort.train;

import java.nio.file.Path;

/**
 * What a user adds to a run ({@link Trainer.Builder#optListener}): told when the run starts, after
 * every update, after every evaluation and after every checkpoint. Every method has a do-nothing
 * default. The framework's own progress bar ({@link Progress}) is one.
 */
public interface TrainingListener {
  /** The run starts at update {@code fromStep} (after a resume, where its checkpoint left off) of {@code steps}. */
  default void started(long fromStep, long steps) {}

  /** After update {@code step} (1-based): its loss, learning rate, gradient norm and throughput. */
  default void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {}

  /** After the evaluation at update {@code step}. */
  default void evaluated(long step, TrainingLoop.Metrics metrics) {}

  /** After the checkpoint of update {@code step} was written to {@code file}. */
  default void checkpointed(long step, Path file) {}
}
