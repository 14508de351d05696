package io.longshort.train;

import java.nio.file.Path;

/**
 * How a run ended: the updates done, the last and best evaluations (null without validation
 * data), whether it stopped early and its last checkpoint (null for a run without a folder).
 */
public record TrainingResult(long steps, TrainingLoop.Metrics lastEval, TrainingLoop.Metrics bestEval,
    boolean stoppedEarly, Path lastCheckpoint) {}
