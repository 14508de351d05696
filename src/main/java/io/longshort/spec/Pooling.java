package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a classifier turns the encoder's rows into one vector, as the authors' LRA models do. */
public enum Pooling {
  /** Mean over all N rows of norm(x) * mask (padding rows count in the divisor, as the authors'). */
  MEAN,
  /** A CLS id (vocab_size - 1) is put in front of the tokens; its row after the final norm. */
  CLS,
  /** A learned CLS vector joins the last layer only as its global token ({@code cls_last_layer}). */
  CLS_LAST_LAYER,
  /** A learned CLS vector joins every layer as its global token ({@code cls_token}). */
  CLS_TOKEN,
  /** No pooling: per-position outputs (language models). */
  NONE;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static Pooling fromJson(String name) {
    return Enums.fromJson(Pooling.class, "pooling", name);
  }
}
