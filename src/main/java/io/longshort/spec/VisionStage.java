package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * One stage of a ViL-style vision model: a patch embedding that cuts the previous stage's grid (or
 * the image) into patchSize x patchSize patches and projects them to the attention's width, then
 * {@code depth} pre-LN blocks of 2-D attention and MLP. The stage's width, heads and global
 * tokens are its attention's. The authors' arch string "l2,h3,d192,n4,s1,g1,p2,f7,a0,r8" is
 * patchSize 2, depth 4, long_short attention with width 192, heads 3, window 7, rank 8, one global
 * token and relative positions (a0: no absolute ones). With {@code absolutePositions} (a1) the patch
 * embedding adds ViL's learned 2-D position embeddings ({@code cls_pos_embed}, {@code x_pos_embed},
 * {@code y_pos_embed}); {@link MsVitArch} reads the strings.
 */
@JsonPropertyOrder({"patchSize", "depth", "absolutePositions", "attention"})
public record VisionStage(
    @JsonProperty("patchSize") int patchSize,
    @JsonProperty("depth") int depth,
    // written only when set, so that the JSON of a stage without them stays as it was
    @JsonProperty("absolutePositions") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean absolutePositions,
    @JsonProperty("attention") ImageAttentionSpec attention) {

  /** A stage without absolute positions. */
  public VisionStage(int patchSize, int depth, ImageAttentionSpec attention) {
    this(patchSize, depth, false, attention);
  }

  @JsonCreator
  static VisionStage fromJson(
      @JsonProperty(value = "patchSize", required = true) int patchSize,
      @JsonProperty(value = "depth", required = true) int depth,
      @JsonProperty("absolutePositions") Boolean absolutePositions,
      @JsonProperty(value = "attention", required = true) ImageAttentionSpec attention) {
    return new VisionStage(patchSize, depth, absolutePositions != null && absolutePositions, attention);
  }

  public VisionStage {
    if (patchSize < 1) {
      throw new IllegalArgumentException("VisionStage: patchSize (" + patchSize + ") must be >= 1");
    }
    if (depth < 1) {
      throw new IllegalArgumentException("VisionStage: depth (" + depth + ") must be >= 1");
    }
    Objects.requireNonNull(attention, "VisionStage: attention is required");
  }

  public int width() {
    return attention.width();
  }

  public int globalTokens() {
    return attention.globalTokens();
  }
}
