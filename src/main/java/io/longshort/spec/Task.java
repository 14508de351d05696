package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a model predicts. */
public enum Task {
  /** One label per sequence (LRA ListOps, Text): the authors' ModelForSC. */
  CLASSIFIER,
  /** One label per pair of sequences, two towers with shared weights: the authors' ModelForSCDual. */
  RETRIEVAL,
  /** Next-byte logits at every position (enwik8, text8). */
  LANGUAGE_MODEL;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static Task fromJson(String name) {
    return Enums.fromJson(Task.class, "task", name);
  }
}
