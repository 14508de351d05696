package io.longshort.train;

import java.nio.file.Path;
import java.util.List;

/** Several listeners told in order, as one. */
final class Listeners implements TrainingListener {
  private final List<TrainingListener> all;

  Listeners(List<TrainingListener> all) {
    this.all = List.copyOf(all);
  }

  @Override
  public void started(long fromStep, long steps) {
    all.forEach(l -> l.started(fromStep, steps));
  }

  @Override
  public void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {
    all.forEach(l -> l.step(step, loss, learningRate, gradientNorm, tokensPerSecond));
  }

  @Override
  public void evaluated(long step, TrainingLoop.Metrics metrics) {
    all.forEach(l -> l.evaluated(step, metrics));
  }

  @Override
  public void checkpointed(long step, Path file) {
    all.forEach(l -> l.checkpointed(step, file));
  }
}
