package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * What one attention layer computes: an immutable value, validated when built, that round-trips
 * through JSON ({@link Json}).
 *
 * <p>Letters: D width, H heads, K = D/H head width, w window, r rank, l segment.
 *
 * <pre>{@code
 * AttentionSpec lra = AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(8).setRank(32).build();
 * AttentionSpec lm = AttentionSpec.causalLongShort().setWidth(512).setHeads(8)
 *     .setWindow(512).setSegment(16).setRank(1).build();
 * AttentionSpec baseline = AttentionSpec.full().setWidth(64).setHeads(2).build();
 * }</pre>
 */
@JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "segment", "globalToken",
    "layerNormEpsilon"})
public final class AttentionSpec {
  /** PyTorch's LayerNorm default, used by the authors. */
  public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

  private final AttentionKind kind;
  private final int width;
  private final int heads;
  private final int window;
  private final int rank;
  private final int segment;
  private final GlobalToken globalToken;
  private final double layerNormEpsilon;

  private AttentionSpec(Builder b) {
    this.kind = b.kind;
    this.width = b.width;
    this.heads = b.heads;
    this.window = b.window;
    this.rank = b.rank;
    this.segment = b.segment;
    this.globalToken = b.globalToken;
    this.layerNormEpsilon = b.layerNormEpsilon;
  }

  /** Bidirectional long-short attention: requires width, heads, window and rank. */
  public static Builder longShort() {
    return new Builder(AttentionKind.LONG_SHORT);
  }

  /** Causal long-short attention: requires width, heads, window, segment and rank. */
  public static Builder causalLongShort() {
    return new Builder(AttentionKind.CAUSAL_LONG_SHORT);
  }

  /** Full softmax attention: requires width and heads. */
  public static Builder full() {
    return new Builder(AttentionKind.FULL);
  }

  /** Full softmax attention with a causal mask: requires width and heads. */
  public static Builder causalFull() {
    return new Builder(AttentionKind.CAUSAL_FULL);
  }

  public static Builder builder(AttentionKind kind) {
    return new Builder(Objects.requireNonNull(kind, "kind"));
  }

  /** A builder holding this spec's values, to derive a changed copy. */
  /**
   * Attention of {@code kind} with this one's width and heads and, when {@code kind} is long-short,
   * its window and rank (and segment, when causal): model surgery that swaps the attention of a
   * model while keeping its shape.
   */
  public AttentionSpec withKind(AttentionKind kind) {
    Builder b = builder(kind).setWidth(width()).setHeads(heads());
    if (kind.isLongShort()) {
      b.setWindow(window()).setRank(rank());
      if (kind.isCausal()) {
        b.setSegment(segment());
      }
    }
    return b.build();
  }

  public Builder toBuilder() {
    Builder b = new Builder(kind).setWidth(width).setHeads(heads)
        .optGlobalToken(globalToken).optLayerNormEpsilon(layerNormEpsilon);
    b.window = window;
    b.rank = rank;
    b.segment = segment;
    return b;
  }

  @JsonCreator
  static AttentionSpec fromJson(
      @JsonProperty(value = "kind", required = true) AttentionKind kind,
      @JsonProperty(value = "width", required = true) Integer width,
      @JsonProperty(value = "heads", required = true) Integer heads,
      @JsonProperty("window") Integer window,
      @JsonProperty("rank") Integer rank,
      @JsonProperty("segment") Integer segment,
      @JsonProperty("globalToken") GlobalToken globalToken,
      @JsonProperty("layerNormEpsilon") Double layerNormEpsilon) {
    Builder b = new Builder(kind);
    b.width = width == null ? Builder.UNSET : width;
    b.heads = heads == null ? Builder.UNSET : heads;
    b.window = window == null ? Builder.UNSET : window;
    b.rank = rank == null ? Builder.UNSET : rank;
    b.segment = segment == null ? Builder.UNSET : segment;
    if (globalToken != null) {
      b.globalToken = globalToken;
    }
    if (layerNormEpsilon != null) {
      b.layerNormEpsilon = layerNormEpsilon;
    }
    return b.build();
  }

  @JsonProperty("kind")
  public AttentionKind kind() {
    return kind;
  }

  /** D: the model width, input and output. */
  @JsonProperty("width")
  public int width() {
    return width;
  }

  /** H: number of heads. */
  @JsonProperty("heads")
  public int heads() {
    return heads;
  }

  /** K = D / H. */
  public int headWidth() {
    return width / heads;
  }

  /**
   * w: for {@code long_short} the segment length of the sliding window (each query sees its
   * segment plus max(w/2, 1) keys each side), for {@code causal_long_short} the number of most
   * recent positions a query sees (itself included); 0 for the full kinds.
   */
  @JsonProperty("window")
  public int window() {
    return window;
  }

  /** r: dynamic-projection rank (per segment for causal); 0 means no long-range part. */
  @JsonProperty("rank")
  public int rank() {
    return rank;
  }

  /** l: the length of the segments that causal long-short attention projects; 0 otherwise. */
  @JsonProperty("segment")
  public int segment() {
    return segment;
  }

  @JsonProperty("globalToken")
  public GlobalToken globalToken() {
    return globalToken;
  }

  @JsonProperty("layerNormEpsilon")
  public double layerNormEpsilon() {
    return layerNormEpsilon;
  }

  /** Number of output rows for an input of n rows (1 + n with a CLS token from an input). */
  public int outputLength(int n) {
    return globalToken == GlobalToken.INPUT ? n + 1 : n;
  }

  public String toJson() {
    return Json.write(this);
  }

  public static AttentionSpec parseJson(String json) {
    return Json.read(json, AttentionSpec.class);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AttentionSpec s)) {
      return false;
    }
    return kind == s.kind && width == s.width && heads == s.heads && window == s.window
        && rank == s.rank && segment == s.segment && globalToken == s.globalToken
        && Double.compare(layerNormEpsilon, s.layerNormEpsilon) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, width, heads, window, rank, segment, globalToken, layerNormEpsilon);
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
    private int segment = UNSET;
    private GlobalToken globalToken = GlobalToken.NONE;
    private double layerNormEpsilon = DEFAULT_LAYER_NORM_EPSILON;

    private Builder(AttentionKind kind) {
      this.kind = kind;
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

    public Builder setSegment(int segment) {
      this.segment = segment;
      return this;
    }

    public Builder optGlobalToken(GlobalToken globalToken) {
      this.globalToken = Objects.requireNonNull(globalToken, "globalToken");
      return this;
    }

    public Builder optLayerNormEpsilon(double layerNormEpsilon) {
      this.layerNormEpsilon = layerNormEpsilon;
      return this;
    }

    public AttentionSpec build() {
      String what = kind.jsonName() + " attention";
      require(width, "width", what);
      require(heads, "heads", what);
      check(width >= 1, "width (" + width + ") must be >= 1");
      check(heads >= 1, "heads (" + heads + ") must be >= 1");
      check(width % heads == 0,
          "width (" + width + ") is not divisible by heads (" + heads + ")");
      check(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon),
          "layerNormEpsilon (" + layerNormEpsilon + ") must be a finite number > 0");
      switch (kind) {
        case LONG_SHORT -> {
          require(window, "window", what);
          require(rank, "rank", what);
          check(window >= 0, "window (" + window + ") must be >= 0 (0 = no sliding window)");
          check(rank >= 0, "rank (" + rank + ") must be >= 0 (0 = no dynamic projection)");
          check(window > 0 || rank > 0, "window (0) and rank (0) are both 0: long_short attention"
              + " needs a sliding window (window >= 1), a dynamic projection (rank >= 1) or both");
          check(segment == UNSET || segment == 0, "segment (" + segment + ") applies to"
              + " causal_long_short attention only; long_short cuts segments of length window");
          segment = 0;
        }
        case CAUSAL_LONG_SHORT -> {
          require(window, "window", what);
          require(segment, "segment", what);
          require(rank, "rank", what);
          check(window >= 1, "window (" + window + ") must be >= 1 for causal_long_short"
              + " attention: a query must see at least itself");
          check(segment >= 1, "segment (" + segment + ") must be >= 1");
          check(rank >= 0, "rank (" + rank + ") must be >= 0 (0 = causal window only)");
          check(rank < segment, "rank (" + rank + ") must be smaller than segment (" + segment
              + "): projecting a segment onto as many vectors as it has positions compresses"
              + " nothing");
          check(globalToken == GlobalToken.NONE, "globalToken (" + globalToken.jsonName()
              + ") is not allowed for causal_long_short attention: a global token sees the future");
        }
        case FULL, CAUSAL_FULL -> {
          check(window == UNSET || window == 0,
              "window (" + window + ") does not apply to " + what + "; leave it unset");
          check(rank == UNSET || rank == 0,
              "rank (" + rank + ") does not apply to " + what + "; leave it unset");
          check(segment == UNSET || segment == 0,
              "segment (" + segment + ") does not apply to " + what + "; leave it unset");
          check(globalToken == GlobalToken.NONE, "globalToken (" + globalToken.jsonName()
              + ") applies to long_short attention only; for " + what
              + " put the CLS token in the sequence");
          window = 0;
          rank = 0;
          segment = 0;
        }
        default -> throw new AssertionError(kind);
      }
      return new AttentionSpec(this);
    }

    private static void require(int value, String field, String what) {
      check(value != UNSET, field + " is required for " + what + " (set" + Character.toUpperCase(
          field.charAt(0)) + field.substring(1) + ")");
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("AttentionSpec: " + message);
      }
    }
  }
}
