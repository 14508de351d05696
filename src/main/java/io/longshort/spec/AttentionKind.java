package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Which attention a layer computes. */
public enum AttentionKind {
  /** Segment-wise sliding window + dynamic projection + DualLN, every token sees both sides. */
  LONG_SHORT,
  /** Autoregressive long-short: causal window + per-segment projections of strictly earlier segments. */
  CAUSAL_LONG_SHORT,
  /** Softmax attention over all N keys (the baseline; materialises N x N). */
  FULL,
  /** Softmax attention over the keys at positions <= t. */
  CAUSAL_FULL;

  public boolean isCausal() {
    return this == CAUSAL_LONG_SHORT || this == CAUSAL_FULL;
  }

  public boolean isLongShort() {
    return this == LONG_SHORT || this == CAUSAL_LONG_SHORT;
  }

  @JsonValue
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static AttentionKind fromJson(String name) {
    for (AttentionKind k : values()) {
      if (k.jsonName().equals(name) || k.name().equals(name)) {
        return k;
      }
    }
    throw new IllegalArgumentException("kind (\"" + name + "\") is not one of "
        + Arrays.stream(values()).map(AttentionKind::jsonName).collect(Collectors.joining(", ")));
  }
}
