package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

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
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static GlobalToken fromJson(String name) {
    for (GlobalToken g : values()) {
      if (g.jsonName().equals(name) || g.name().equals(name)) {
        return g;
      }
    }
    throw new IllegalArgumentException("globalToken (\"" + name + "\") is not one of "
        + Arrays.stream(values()).map(GlobalToken::jsonName).collect(Collectors.joining(", ")));
  }
}
