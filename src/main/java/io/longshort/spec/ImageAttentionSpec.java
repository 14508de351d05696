package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.annotation.JsonTypeIdResolver;
import java.util.Objects;

/**
 * What one attention layer over a 2-D grid of patches computes (the authors' vision
 * {@code AttentionLS} and ViL's full {@code Attention}): one record per kind, {@link LongShort} and
 * {@link Full}, immutable values validated when constructed (by the builder, JSON or the records'
 * constructors alike) that round-trip through JSON, told apart by their {@code kind} field.
 *
 * <p>Letters: D width, H heads, w window side, r rank, G global tokens.
 *
 * <pre>{@code
 * ImageAttentionSpec ls = ImageAttentionSpec.longShort().setWidth(96).setHeads(3).setWindow(7)
 *     .setRank(8).optGlobalTokens(1).build();
 * ImageAttentionSpec full = ImageAttentionSpec.full().setWidth(384).setHeads(6).optGlobalTokens(1).build();
 * ImageAttentionSpec same = new ImageAttentionSpec.Full(384, 6, 1, true, 1e-5);
 * }</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.CUSTOM, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "kind",
    visible = true)
@JsonTypeIdResolver(KindTypeIds.Image.class)
public sealed interface ImageAttentionSpec permits ImageAttentionSpec.LongShort, ImageAttentionSpec.Full {
  /**
   * DualLN's epsilon: the authors' vision {@code AttentionLS} builds its two LayerNorms with
   * PyTorch's default 1e-5 (their blocks' other LayerNorms use 1e-6, see {@link VisionSpec}).
   */
  double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

  /** 2-D long-short attention: requires width, heads, window and rank. */
  static Builder longShort() {
    return new Builder(AttentionKind.LONG_SHORT);
  }

  /** Full attention over all patches (ViL's): requires width and heads. */
  static Builder full() {
    return new Builder(AttentionKind.FULL);
  }

  /** long_short or full. */
  @JsonProperty("kind")
  AttentionKind kind();

  /** D: the model width, input and output. */
  @JsonProperty("width")
  int width();

  @JsonProperty("heads")
  int heads();

  /**
   * w: patches are grouped into w x w windows; a window's queries see the window plus a margin of
   * max(w/2, 1) patches on every side (0 for full attention).
   */
  @JsonProperty("window")
  int window();

  /** r: dynamic-projection rank; 0 = no long-range part (0 for full attention). */
  @JsonProperty("rank")
  int rank();

  /** G: learned global tokens in front of the patches (the authors use 1, the CLS token). */
  @JsonProperty("globalTokens")
  int globalTokens();

  /**
   * Learned relative-position biases: on the window logits (long_short), on all logits plus
   * global/local biases (full). The authors turn them on where there are no absolute positions.
   */
  @JsonProperty("relativePositions")
  boolean relativePositions();

  @JsonProperty("layerNormEpsilon")
  double layerNormEpsilon();

  default int headWidth() {
    return width() / heads();
  }

  /** The margin E = max(w/2, 1) of a long-short window (0 for full attention). */
  default int margin() {
    return kind() == AttentionKind.LONG_SHORT && window() > 0 ? Math.max(window() / 2, 1) : 0;
  }

  /** A builder holding this spec's values, to derive a changed copy. */
  default Builder toBuilder() {
    Builder b = new Builder(kind()).setWidth(width()).setHeads(heads()).optGlobalTokens(globalTokens())
        .optRelativePositions(relativePositions()).optLayerNormEpsilon(layerNormEpsilon());
    if (kind() == AttentionKind.LONG_SHORT) {
      b.setWindow(window()).setRank(rank());
    }
    return b;
  }

  default String toJson() {
    return Json.write(this);
  }

  static ImageAttentionSpec parseJson(String json) {
    return Json.read(json, ImageAttentionSpec.class);
  }

  /**
   * The authors' {@code AttentionLS} over w x w windows with a rank-r dynamic projection.
   *
   * @param window w, the window side (>= 1; >= 2 with relative positions)
   * @param rank r, 0 = no long-range part
   */
  @JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "globalTokens", "relativePositions",
      "layerNormEpsilon"})
  record LongShort(int width, int heads, int window, int rank, int globalTokens, boolean relativePositions,
      double layerNormEpsilon) implements ImageAttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static LongShort fromJson(ImageAttentionFields json) {
      return (LongShort) json.build();
    }

    public LongShort {
      Builder b = new Builder(AttentionKind.LONG_SHORT).setWidth(width).setHeads(heads).setWindow(window)
          .setRank(rank).optGlobalTokens(globalTokens).optRelativePositions(relativePositions)
          .optLayerNormEpsilon(layerNormEpsilon);
      b.check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.LONG_SHORT;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** ViL's full attention over every patch and the global tokens; its window and rank are 0. */
  @JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "globalTokens", "relativePositions",
      "layerNormEpsilon"})
  record Full(int width, int heads, int globalTokens, boolean relativePositions, double layerNormEpsilon)
      implements ImageAttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Full fromJson(ImageAttentionFields json) {
      return (Full) json.build();
    }

    public Full {
      Builder b = new Builder(AttentionKind.FULL).setWidth(width).setHeads(heads).optGlobalTokens(globalTokens)
          .optRelativePositions(relativePositions).optLayerNormEpsilon(layerNormEpsilon);
      b.check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.FULL;
    }

    @Override
    public int window() {
      return 0;
    }

    @Override
    public int rank() {
      return 0;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** Required values with {@code setX}, optional ones with {@code optX}; checked in {@link #build()}. */
  final class Builder {
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

    /** A builder of the JSON fields: absent ones unset (required) or at their defaults. */
    static Builder fromJson(ImageAttentionFields f) {
      Builder b = new Builder(f.kind());
      b.width = f.width() == null ? UNSET : f.width();
      b.heads = f.heads() == null ? UNSET : f.heads();
      b.window = f.window() == null ? UNSET : f.window();
      b.rank = f.rank() == null ? UNSET : f.rank();
      if (f.globalTokens() != null) {
        b.globalTokens = f.globalTokens();
      }
      if (f.relativePositions() != null) {
        b.relativePositions = f.relativePositions();
      }
      if (f.layerNormEpsilon() != null) {
        b.layerNormEpsilon = f.layerNormEpsilon();
      }
      return b;
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
      check();
      return kind == AttentionKind.LONG_SHORT
          ? new LongShort(width, heads, window, rank, globalTokens, relativePositions, layerNormEpsilon)
          : new Full(width, heads, globalTokens, relativePositions, layerNormEpsilon);
    }

    /** Every check, in one order, for the builder, JSON and the records' constructors alike. */
    private void check() {
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
