package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The extra global (CLS) token of the authors' LRA attention: one more global key/value slot that
 * every token sees, with its own query over the attention outputs of all tokens. The output then has
 * 1 + N rows, the CLS row first.
 */
public enum GlobalToken {
  /** No CLS token: output has N rows. */
  NONE,
  /** The CLS vector comes as a separate (B, 1, D) input (the authors' {@code cls_last_layer}). */
  INPUT,
  /** The first of the 1 + N input rows is the CLS token (the authors' {@code pooling_mode = CLS}). */
  FIRST_ROW;

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static GlobalToken fromJson(String name) {
    return Enums.fromJson(GlobalToken.class, "globalToken", name);
  }
}
