package io.longshort.train;

import io.longshort.spec.Enums;

/**
 * The validation metric that picks a run's best checkpoint ({@code best.json}'s {@code metric}).
 * Classifiers keep the best accuracy by default, as the authors' {@code run_tasks.py} keeps its
 * best dev accuracy; language models keep the lowest loss.
 */
public enum BestMetric {
  LOSS("valid/loss"),
  ACCURACY("valid/accuracy");

  private final String tag;

  BestMetric(String tag) {
    this.tag = tag;
  }

  /** The name best.json and TensorBoard record, e.g. {@code valid/accuracy}. */
  public String tag() {
    return tag;
  }

  /** The default of a task: accuracy for classifiers, loss for language models. */
  public static BestMetric defaultFor(boolean languageModel) {
    return languageModel ? LOSS : ACCURACY;
  }

  /** The metric's value in an evaluation. */
  public double of(TrainingLoop.Metrics m) {
    return this == LOSS ? m.loss() : m.accuracy();
  }

  /** Whether {@code value} beats {@code best} (strictly: a tie keeps the earlier checkpoint, as the authors' {@code >}). */
  public boolean better(double value, double best) {
    return this == LOSS ? value < best : value > best;
  }

  /** The value nothing is worse than: where a run without a best starts. */
  public double worst() {
    return this == LOSS ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
  }

  /** The metric best.json names by {@code tag}; empty when it is none of ours. */
  public static java.util.Optional<BestMetric> ofTag(String tag) {
    for (BestMetric m : values()) {
      if (m.tag.equals(tag)) {
        return java.util.Optional.of(m);
      }
    }
    return java.util.Optional.empty();
  }

  public String jsonName() {
    return Enums.jsonName(this);
  }

  /** {@code loss} or {@code accuracy}; the error names {@code field}. */
  public static BestMetric fromJson(String field, String value) {
    return Enums.fromJson(BestMetric.class, field, value);
  }
}
