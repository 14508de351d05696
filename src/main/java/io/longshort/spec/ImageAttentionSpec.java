package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * What one attention layer over a 2-D grid of patches computes (the authors' vision
 * {@code AttentionLS} and ViL's full {@code Attention}): an immutable value, validated when built,
 * that round-trips through JSON.
 *
 * <p>Letters: D width, H heads, w window side, r rank, G global tokens.
 *
 * <pre>{@code
 * ImageAttentionSpec ls = ImageAttentionSpec.longShort().setWidth(96).setHeads(3).setWindow(7)
 *     .setRank(8).optGlobalTokens(1).build();
 * ImageAttentionSpec full = ImageAttentionSpec.full().setWidth(384).setHeads(6).optGlobalTokens(1).build();
 * }</pre>
 */
@JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "globalTokens", "relativePositions",
    "layerNormEpsilon"})
public final class ImageAttentionSpec {
  /**
   * DualLN's epsilon: the authors' vision {@code AttentionLS} builds its two LayerNorms with
   * PyTorch's default 1e-5 (their blocks' other LayerNorms use 1e-6, see {@link VisionSpec}).
   */
  public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

  private final AttentionKind kind;
  private final int width;
  private final int heads;
  private final int window;
  private final int rank;
  private final int globalTokens;
  private final boolean relativePositions;
  private final double layerNormEpsilon;

  private ImageAttentionSpec(Builder b) {
    kind = b.kind;
    width = b.width;
    heads = b.heads;
    window = b.window;
    rank = b.rank;
    globalTokens = b.globalTokens;
    relativePositions = b.relativePositions;
    layerNormEpsilon = b.layerNormEpsilon;
  }

  /** 2-D long-short attention: requires width, heads, window and rank. */
  public static Builder longShort() {
    return new Builder(AttentionKind.LONG_SHORT);
  }

  /** Full attention over all patches (ViL's): requires width and heads. */
  public static Builder full() {
    return new Builder(AttentionKind.FULL);
  }

  @JsonCreator
  static ImageAttentionSpec fromJson(
      @JsonProperty(value = "kind", required = true) AttentionKind kind,
      @JsonProperty(value = "width", required = true) Integer width,
      @JsonProperty(value = "heads", required = true) Integer heads,
      @JsonProperty("window") Integer window,
      @JsonProperty("rank") Integer rank,
      @JsonProperty("globalTokens") Integer globalTokens,
      @JsonProperty("relativePositions") Boolean relativePositions,
      @JsonProperty("layerNormEpsilon") Double layerNormEpsilon) {
    Builder b = new Builder(kind);
    b.width = width == null ? Builder.UNSET : width;
    b.heads = heads == null ? Builder.UNSET : heads;
    b.window = window == null ? Builder.UNSET : window;
    b.rank = rank == null ? Builder.UNSET : rank;
    if (globalTokens != null) {
      b.globalTokens = globalTokens;
    }
    if (relativePositions != null) {
      b.relativePositions = relativePositions;
    }
    if (layerNormEpsilon != null) {
      b.layerNormEpsilon = layerNormEpsilon;
    }
    return b.build();
  }

  /** A builder holding this spec's values, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder(kind).setWidth(width).setHeads(heads).optGlobalTokens(globalTokens)
        .optRelativePositions(relativePositions).optLayerNormEpsilon(layerNormEpsilon);
    if (kind == AttentionKind.LONG_SHORT) {
      b.setWindow(window).setRank(rank);
    }
    return b;
  }

  /** long_short or full. */
  @JsonProperty("kind")
  public AttentionKind kind() {
    return kind;
  }

  /** D: the model width, input and output. */
  @JsonProperty("width")
  public int width() {
    return width;
  }

  @JsonProperty("heads")
  public int heads() {
    return heads;
  }

  public int headWidth() {
    return width / heads;
  }

  /**
   * w: patches are grouped into w x w windows; a window's queries see the window plus a margin of
   * max(w/2, 1) patches on every side (0 for full attention).
   */
  @JsonProperty("window")
  public int window() {
    return window;
  }

  /** r: dynamic-projection rank; 0 = no long-range part (0 for full attention). */
  @JsonProperty("rank")
  public int rank() {
    return rank;
  }

  /** G: learned global tokens in front of the patches (the authors use 1, the CLS token). */
  @JsonProperty("globalTokens")
  public int globalTokens() {
    return globalTokens;
  }

  /**
   * Learned relative-position biases: on the window logits (long_short), on all logits plus
   * global/local biases (full). The authors turn them on where there are no absolute positions.
   */
  @JsonProperty("relativePositions")
  public boolean relativePositions() {
    return relativePositions;
  }

  @JsonProperty("layerNormEpsilon")
  public double layerNormEpsilon() {
    return layerNormEpsilon;
  }

  /** The margin E = max(w/2, 1) of a long-short window (0 for full attention). */
  public int margin() {
    return kind == AttentionKind.LONG_SHORT && window > 0 ? Math.max(window / 2, 1) : 0;
  }

  public String toJson() {
    return Json.write(this);
  }

  public static ImageAttentionSpec parseJson(String json) {
    return Json.read(json, ImageAttentionSpec.class);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImageAttentionSpec s && kind == s.kind && width == s.width && heads == s.heads
        && window == s.window && rank == s.rank && globalTokens == s.globalTokens
        && relativePositions == s.relativePositions
        && Double.compare(layerNormEpsilon, s.layerNormEpsilon) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind.jsonName(), width, heads, window, rank, globalTokens, relativePositions,
        layerNormEpsilon);
  }

  @Override
  public String toString() {
    return toJson();
  }

  /** Required values with {@code setX}, optional ones with {@code optX}; checked in {@link #build()}. */
  public static final class Builder {
    private static final int UNSET = Integer.MIN_VALUE;

    private final AttentionKind kind;
    private int width = UNSET;
    private int heads = UNSET;
    private int window = UNSET;
    private int rank = UNSET;
    private int globalTokens = 0;
    private boolean relativePositions = true;
    private double layerNormEpsilon = DEFAULT_LAYER_NORM_EPSILON;

    private Builder(AttentionKind kind) {
      this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Builder setWidth(int width) {
      this.width = width;
      return this;
    }

    public Builder setHeads(int heads) {
      this.heads = heads;
      return this;
    }

    public Builder setWindow(int window) {
      this.window = window;
      return this;
    }

    public Builder setRank(int rank) {
      this.rank = rank;
      return this;
    }

    public Builder optGlobalTokens(int globalTokens) {
      this.globalTokens = globalTokens;
      return this;
    }

    /** Default true, as in the authors' ViL-LS models (they have no absolute positions). */
    public Builder optRelativePositions(boolean relativePositions) {
      this.relativePositions = relativePositions;
      return this;
    }

    public Builder optLayerNormEpsilon(double layerNormEpsilon) {
      this.layerNormEpsilon = layerNormEpsilon;
      return this;
    }

    public ImageAttentionSpec build() {
      String what = kind.jsonName() + " image attention";
      require(width, "width", what);
      require(heads, "heads", what);
      check(width >= 1, "width (" + width + ") must be >= 1");
      check(heads >= 1, "heads (" + heads + ") must be >= 1");
      check(width % heads == 0, "width (" + width + ") is not divisible by heads (" + heads + ")");
      check(globalTokens >= 0, "globalTokens (" + globalTokens + ") must be >= 0");
      check(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon),
          "layerNormEpsilon (" + layerNormEpsilon + ") must be a finite number > 0");
      switch (kind) {
        case LONG_SHORT -> {
          require(window, "window", what);
          require(rank, "rank", what);
          check(window >= 1, "window (" + window + ") must be >= 1: 2-D long-short attention groups"
              + " patches into w x w windows");
          check(rank >= 0, "rank (" + rank + ") must be >= 0 (0 = no dynamic projection)");
          // the authors' bias table spans w + 2 * floor(w/2) keys per side, the tiles
          // w + 2 * max(floor(w/2), 1): the two agree from w = 2 on
          check(!relativePositions || window >= 2, "window (" + window + ") must be >= 2 with"
              + " relativePositions: the authors' bias table has no margin for w = 1");
        }
        case FULL -> {
          check(window == UNSET || window == 0, "window (" + window + ") does not apply to " + what
              + "; leave it unset");
          check(rank == UNSET || rank == 0, "rank (" + rank + ") does not apply to " + what
              + "; leave it unset");
          window = 0;
          rank = 0;
        }
        default -> throw new IllegalArgumentException("ImageAttentionSpec: kind ("
            + kind.jsonName() + ") is not allowed; image attention is long_short or full");
      }
      return new ImageAttentionSpec(this);
    }

    private static void require(int value, String field, String what) {
      check(value != UNSET, field + " is required for " + what + " (set"
          + Character.toUpperCase(field.charAt(0)) + field.substring(1) + ")");
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("ImageAttentionSpec: " + message);
      }
    }
  }
}
