package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * One stage of a ViL-style vision model: a patch embedding that cuts the previous stage's grid (or
 * the image) into patchSize x patchSize patches and projects them to the attention's width, then
 * {@code depth} pre-LN blocks of 2-D attention and MLP. The stage's width, heads and global
 * tokens are its attention's. The authors' arch string "l2,h3,d192,n4,s1,g1,p2,f7,a0,r8" is
 * patchSize 2, depth 4, long_short attention with width 192, heads 3, window 7, rank 8, one global
 * token and relative positions (a0: no absolute ones).
 */
@JsonPropertyOrder({"patchSize", "depth", "attention"})
public record VisionStage(
    @JsonProperty("patchSize") int patchSize,
    @JsonProperty("depth") int depth,
    @JsonProperty("attention") ImageAttentionSpec attention) {

  @JsonCreator
  public VisionStage(
      @JsonProperty(value = "patchSize", required = true) int patchSize,
      @JsonProperty(value = "depth", required = true) int depth,
      @JsonProperty(value = "attention", required = true) ImageAttentionSpec attention) {
    if (patchSize < 1) {
      throw new IllegalArgumentException("VisionStage: patchSize (" + patchSize + ") must be >= 1");
    }
    if (depth < 1) {
      throw new IllegalArgumentException("VisionStage: depth (" + depth + ") must be >= 1");
    }
    this.patchSize = patchSize;
    this.depth = depth;
    this.attention = Objects.requireNonNull(attention, "VisionStage: attention is required");
  }

  public int width() {
    return attention.width();
  }

  public int globalTokens() {
    return attention.globalTokens();
  }
}
