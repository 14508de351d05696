package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Absolute position embeddings: a learned table, or the fixed interleaved sin/cos of the authors' code. */
public enum Positions {
  LEARNED, SINUSOIDAL;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static Positions fromJson(String name) {
    return Enums.fromJson(Positions.class, "positions", name);
  }
}
