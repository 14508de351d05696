package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An {@link AttentionSpec} as JSON has it: every field of every kind, so that a field the kind does
 * not use is refused by the builder's check with the builder's message (JSON written before the
 * records carries {@code "window": 0, "rank": 0, "segment": 0} for every kind). Null = absent.
 */
record AttentionFields(
    @JsonProperty(value = "kind", required = true) AttentionKind kind,
    @JsonProperty(value = "width", required = true) Integer width,
    @JsonProperty(value = "heads", required = true) Integer heads,
    @JsonProperty("window") Integer window,
    @JsonProperty("rank") Integer rank,
    @JsonProperty("segment") Integer segment,
    @JsonProperty("landmarks") Integer landmarks,
    @JsonProperty("maxLength") Integer maxLength,
    @JsonProperty("convKernel") Integer convKernel,
    @JsonProperty("inverseStart") PseudoInverseStart inverseStart,
    @JsonProperty("features") Integer features,
    @JsonProperty("featureMap") FeatureMap featureMap,
    @JsonProperty("featureSeed") Integer featureSeed,
    @JsonProperty("globalTokens") Integer globalTokens,
    @JsonProperty("blockSize") Integer blockSize,
    @JsonProperty("randomBlocks") Integer randomBlocks,
    @JsonProperty("randomSeed") Integer randomSeed,
    @JsonProperty("randomPlan") int[][][] randomPlan,
    @JsonProperty("globalToken") GlobalToken globalToken,
    @JsonProperty("layerNormEpsilon") Double layerNormEpsilon) {
  /** The spec these fields describe, through the builder (its checks, its messages). */
  AttentionSpec build() {
    return AttentionSpec.Builder.fromJson(this).build();
  }
}
