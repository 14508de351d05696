package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Which attention a layer computes. */
public enum AttentionKind {
  /** Segment-wise sliding window + dynamic projection + DualLN, every token sees both sides. */
  LONG_SHORT,
  /** Autoregressive long-short: causal window + per-segment projections of strictly earlier segments. */
  CAUSAL_LONG_SHORT,
  /** Softmax attention over all N keys (the baseline; materialises N x N). */
  FULL,
  /** Softmax attention over the keys at positions &lt;= t. */
  CAUSAL_FULL,
  /** The authors' Linformer: keys and values projected along the sequence by a learned E (H, r, N). */
  LINFORMER,
  /** The authors' Nystromformer: segment-mean landmarks and an iterative pseudo-inverse. */
  NYSTROM,
  /** Performer (performer_pytorch's FastAttention): linear attention over random features. */
  PERFORMER,
  /** Longformer (transformers' LongformerSelfAttention): sliding window plus global leading positions. */
  LONGFORMER,
  /** BigBird (transformers' BigBirdBlockSparseAttention): window, global and random blocks. */
  BIGBIRD;

  public boolean isCausal() {
    return this == CAUSAL_LONG_SHORT || this == CAUSAL_FULL;
  }

  public boolean isLongShort() {
    return this == LONG_SHORT || this == CAUSAL_LONG_SHORT;
  }

  @JsonValue
  public String jsonName() {
    return Enums.jsonName(this);
  }

  @JsonCreator
  public static AttentionKind fromJson(String name) {
    return Enums.fromJson(AttentionKind.class, "kind", name);
  }
}
