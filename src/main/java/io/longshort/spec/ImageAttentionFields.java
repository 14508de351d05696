package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An {@link ImageAttentionSpec} as JSON has it: every field of either kind, so that a field the kind
 * does not use is refused by the builder's check with the builder's message (JSON written before the
 * records carries {@code "window": 0, "rank": 0} for full attention). Null = absent.
 */
record ImageAttentionFields(
    @JsonProperty(value = "kind", required = true) AttentionKind kind,
    @JsonProperty(value = "width", required = true) Integer width,
    @JsonProperty(value = "heads", required = true) Integer heads,
    @JsonProperty("window") Integer window,
    @JsonProperty("rank") Integer rank,
    @JsonProperty("globalTokens") Integer globalTokens,
    @JsonProperty("relativePositions") Boolean relativePositions,
    @JsonProperty("layerNormEpsilon") Double layerNormEpsilon) {
  /** The spec these fields describe, through the builder (its checks, its messages). */
  ImageAttentionSpec build() {
    return ImageAttentionSpec.Builder.fromJson(this).build();
  }
}
