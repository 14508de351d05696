package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * What one attention layer computes: an immutable value, validated when built, that round-trips
 * through JSON ({@link Json}).
 *
 * <p>Letters: D width, H heads, K = D/H head width, w window, r rank, l segment, m landmarks.
 *
 * <pre>{@code
 * AttentionSpec lra = AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(8).setRank(32).build();
 * AttentionSpec lm = AttentionSpec.causalLongShort().setWidth(512).setHeads(8)
 *     .setWindow(512).setSegment(16).setRank(1).build();
 * AttentionSpec baseline = AttentionSpec.full().setWidth(64).setHeads(2).build();
 * AttentionSpec linformer = AttentionSpec.linformer().setWidth(64).setHeads(2).setRank(256).build();
 * AttentionSpec nystrom = AttentionSpec.nystrom().setWidth(64).setHeads(2).setLandmarks(128).build();
 * AttentionSpec performer = AttentionSpec.performer().setWidth(64).setHeads(2).setFeatures(256).build();
 * AttentionSpec longformer = AttentionSpec.longformer().setWidth(64).setHeads(2).setWindow(256)
 *     .optGlobalTokens(1).build();
 * }</pre>
 *
 * <p>Fields a kind does not use are 0 or null (the newer ones, landmarks to randomPlan, are then absent
 * from the JSON).
 */
@JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "segment", "landmarks", "maxLength",
    "convKernel", "inverseStart", "features", "featureMap", "featureSeed", "globalTokens", "blockSize", "randomBlocks", "randomSeed", "randomPlan",
    "globalToken", "layerNormEpsilon"})
public final class AttentionSpec {
  /** PyTorch's LayerNorm default, used by the authors. */
  public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

  private final AttentionKind kind;
  private final int width;
  private final int heads;
  private final int window;
  private final int rank;
  private final int segment;
  private final int landmarks;
  private final int maxLength;
  private final int convKernel;
  private final PseudoInverseStart inverseStart;
  private final int features;
  private final FeatureMap featureMap;
  private final int featureSeed;
  private final int globalTokens;
  private final int blockSize;
  private final int randomBlocks;
  private final int randomSeed;
  private final int[][][] randomPlan;
  private final GlobalToken globalToken;
  private final double layerNormEpsilon;

  private AttentionSpec(Builder b) {
    this.kind = b.kind;
    this.width = b.width;
    this.heads = b.heads;
    this.window = b.window;
    this.rank = b.rank;
    this.segment = b.segment;
    this.landmarks = b.landmarks;
    this.maxLength = b.maxLength;
    this.convKernel = b.convKernel;
    this.inverseStart = b.inverseStart;
    this.features = b.features;
    this.featureMap = b.featureMap;
    this.featureSeed = b.featureSeed;
    this.globalTokens = b.globalTokens;
    this.blockSize = b.blockSize;
    this.randomBlocks = b.randomBlocks;
    this.randomSeed = b.randomSeed;
    this.randomPlan = b.randomPlan;
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

  /**
   * The authors' Linformer (their LRA {@code attention_linformer.py}): keys and values projected
   * along the sequence by a learned E (H, r, maxLength); requires width, heads and rank (their
   * {@code linformer_k}).
   */
  public static Builder linformer() {
    return new Builder(AttentionKind.LINFORMER);
  }

  /**
   * The authors' Nystromformer (their LRA {@code attention_nystrom.py}): m segment-mean landmarks
   * and an iterative pseudo-inverse; requires width, heads and landmarks.
   */
  public static Builder nystrom() {
    return new Builder(AttentionKind.NYSTROM);
  }

  /**
   * Performer (performer_pytorch's FastAttention, non-causal): linear attention over m random
   * features of the queries and keys; requires width, heads and features.
   */
  public static Builder performer() {
    return new Builder(AttentionKind.PERFORMER);
  }

  /**
   * Longformer (Hugging Face transformers' LongformerSelfAttention): a sliding window of
   * {@code window} (their attention_window, even: window/2 keys each side) and the first
   * {@code globalTokens} positions attending to and from every position through their own
   * projections; requires width, heads and window.
   */
  public static Builder longformer() {
    return new Builder(AttentionKind.LONGFORMER);
  }

  /**
   * BigBird (Hugging Face transformers' BigBirdBlockSparseAttention): blocks of {@code blockSize},
   * each middle query block sees its neighbour blocks, the first and last (global) blocks and
   * {@code randomBlocks} random blocks; the first and last query blocks see everything; requires
   * width, heads and blockSize.
   */
  public static Builder bigBird() {
    return new Builder(AttentionKind.BIGBIRD);
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
    b.landmarks = landmarks;
    b.maxLength = maxLength;
    b.convKernel = convKernel;
    b.inverseStart = inverseStart;
    b.features = features;
    b.featureMap = featureMap;
    b.featureSeed = featureSeed;
    b.globalTokens = globalTokens;
    b.blockSize = blockSize;
    b.randomBlocks = randomBlocks;
    b.randomSeed = randomSeed;
    b.randomPlan = randomPlan;
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
    Builder b = new Builder(kind);
    b.width = width == null ? Builder.UNSET : width;
    b.heads = heads == null ? Builder.UNSET : heads;
    b.window = window == null ? Builder.UNSET : window;
    b.rank = rank == null ? Builder.UNSET : rank;
    b.segment = segment == null ? Builder.UNSET : segment;
    b.landmarks = landmarks == null ? Builder.UNSET : landmarks;
    b.maxLength = maxLength == null ? 0 : maxLength;
    b.convKernel = convKernel == null ? 0 : convKernel;
    b.inverseStart = inverseStart;
    b.features = features == null ? Builder.UNSET : features;
    b.featureMap = featureMap;
    b.featureSeed = featureSeed == null ? 0 : featureSeed;
    b.globalTokens = globalTokens == null ? 0 : globalTokens;
    b.blockSize = blockSize == null ? Builder.UNSET : blockSize;
    b.randomBlocks = randomBlocks == null ? Builder.UNSET : randomBlocks;
    b.randomSeed = randomSeed == null ? 0 : randomSeed;
    b.randomPlan = randomPlan;
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

  /** m: Nystrom landmarks, the means of m consecutive segments of the (padded) sequence; 0 otherwise. */
  @JsonProperty("landmarks")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int landmarks() {
    return landmarks;
  }

  /**
   * Linformer: the sequence length its projection E (H, r, maxLength) is learned for (the
   * authors' {@code max_seq_len}); shorter inputs are padded to it. 0 = the input's own length
   * (a model sets its maxLength here, see {@link ModelSpec#attentionFor}).
   */
  @JsonProperty("maxLength")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int maxLength() {
    return maxLength;
  }

  /**
   * Linformer and Nystrom: the size of the depth-wise convolution over the masked values that is
   * added to the output (the authors' {@code conv_kernel_size}, odd); 0 = none.
   */
  @JsonProperty("convKernel")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int convKernel() {
    return convKernel;
  }

  /** Nystrom: how the pseudo-inverse iteration starts; null for the other kinds. */
  @JsonProperty("inverseStart")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public PseudoInverseStart inverseStart() {
    return inverseStart;
  }

  /** Performer: m, the number of random features (performer_pytorch's nb_features, the authors' rp_dim); 0 otherwise. */
  @JsonProperty("features")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int features() {
    return features;
  }

  /** Performer: which random features; null for the other kinds. */
  @JsonProperty("featureMap")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public FeatureMap featureMap() {
    return featureMap;
  }

  /**
   * Performer: the seed of the random projection each layer draws (with its name); another seed
   * redraws the features. Default 0.
   */
  @JsonProperty("featureSeed")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int featureSeed() {
    return featureSeed;
  }

  /**
   * Longformer: how many leading positions attend globally (to and from every position, with their
   * own projections), e.g. 1 for a CLS token in front; 0 otherwise.
   */
  @JsonProperty("globalTokens")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int globalTokens() {
    return globalTokens;
  }

  /** BigBird: the block size (transformers' block_size); 0 otherwise. */
  @JsonProperty("blockSize")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int blockSize() {
    return blockSize;
  }

  /** BigBird: random key blocks per middle query block (num_random_blocks); 0 otherwise. */
  @JsonProperty("randomBlocks")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int randomBlocks() {
    return randomBlocks;
  }

  /** BigBird: the seed each layer draws its random plan from (with its name), unless randomPlan is given. */
  @JsonProperty("randomSeed")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  public int randomSeed() {
    return randomSeed;
  }

  /**
   * BigBird: an explicit random plan (H, blocks - 2, randomBlocks) of key block indices for query
   * blocks 1 .. blocks - 2 (transformers' rand_attn), e.g. theirs from a golden file; null = drawn
   * from randomSeed. Fixes the length to blockSize x blocks.
   */
  @JsonProperty("randomPlan")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public int[][][] randomPlan() {
    return randomPlan == null ? null : deepCopy(randomPlan);
  }

  private static int[][][] deepCopy(int[][][] plan) {
    int[][][] c = new int[plan.length][][];
    for (int i = 0; i < plan.length; i++) {
      c[i] = new int[plan[i].length][];
      for (int j = 0; j < plan[i].length; j++) {
        c[i][j] = plan[i][j].clone();
      }
    }
    return c;
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
        && rank == s.rank && segment == s.segment && landmarks == s.landmarks
        && maxLength == s.maxLength && convKernel == s.convKernel && inverseStart == s.inverseStart
        && features == s.features && featureMap == s.featureMap && featureSeed == s.featureSeed
        && globalTokens == s.globalTokens && blockSize == s.blockSize && randomBlocks == s.randomBlocks
        && randomSeed == s.randomSeed && java.util.Arrays.deepEquals(randomPlan, s.randomPlan)
        && globalToken == s.globalToken
        && Double.compare(layerNormEpsilon, s.layerNormEpsilon) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, width, heads, window, rank, segment, landmarks, maxLength, convKernel,
        inverseStart, features, featureMap, featureSeed, globalTokens, blockSize, randomBlocks,
        randomSeed, java.util.Arrays.deepHashCode(randomPlan), globalToken, layerNormEpsilon);
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
    private int landmarks = UNSET;
    private int maxLength;
    private int convKernel;
    private PseudoInverseStart inverseStart;
    private int features = UNSET;
    private FeatureMap featureMap;
    private int featureSeed;
    private int globalTokens;
    private int blockSize = UNSET;
    private int randomBlocks = UNSET;
    private int randomSeed;
    private int[][][] randomPlan;
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

    public Builder setLandmarks(int landmarks) {
      this.landmarks = landmarks;
      return this;
    }

    /** Linformer: the length E is learned for (default 0: the input's length). */
    public Builder optMaxLength(int maxLength) {
      this.maxLength = maxLength;
      return this;
    }

    /** Linformer, Nystrom: the depth-wise convolution's size, odd (default 0: none). */
    public Builder optConvKernel(int convKernel) {
      this.convKernel = convKernel;
      return this;
    }

    /** Nystrom: the pseudo-inverse's start (default {@link PseudoInverseStart#BATCH}, the authors'). */
    public Builder optInverseStart(PseudoInverseStart inverseStart) {
      this.inverseStart = Objects.requireNonNull(inverseStart, "inverseStart");
      return this;
    }

    public Builder setFeatures(int features) {
      this.features = features;
      return this;
    }

    /** Performer: the random features (default {@link FeatureMap#RELU}, the authors' LRA kernel). */
    public Builder optFeatureMap(FeatureMap featureMap) {
      this.featureMap = Objects.requireNonNull(featureMap, "featureMap");
      return this;
    }

    /** Performer: the seed of the random projections (default 0); another seed redraws them. */
    public Builder optFeatureSeed(int featureSeed) {
      this.featureSeed = featureSeed;
      return this;
    }

    /** Longformer: the leading positions that attend globally (default 0). */
    public Builder optGlobalTokens(int globalTokens) {
      this.globalTokens = globalTokens;
      return this;
    }

    public Builder setBlockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** BigBird: random blocks per middle query block (default 3, transformers' default). */
    public Builder optRandomBlocks(int randomBlocks) {
      this.randomBlocks = randomBlocks;
      return this;
    }

    /** BigBird: the seed of the random plans (default 0); another seed redraws them. */
    public Builder optRandomSeed(int randomSeed) {
      this.randomSeed = randomSeed;
      return this;
    }

    /** BigBird: an explicit random plan (H, blocks - 2, randomBlocks), e.g. transformers' rand_attn. */
    public Builder optRandomPlan(int[][][] randomPlan) {
      this.randomPlan = randomPlan == null ? null : deepCopy(randomPlan);
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
      boolean projected = kind == AttentionKind.LINFORMER || kind == AttentionKind.NYSTROM;
      if (!projected) {
        unused(maxLength == 0 ? UNSET : maxLength, "maxLength", what);
        unused(convKernel == 0 ? UNSET : convKernel, "convKernel", what);
      }
      if (kind != AttentionKind.PERFORMER) {
        unused(features, "features", what);
        unused(featureSeed, "featureSeed", what);
        check(featureMap == null, "featureMap (" + (featureMap == null ? "" : featureMap.jsonName())
            + ") applies to performer attention only; leave it unset for " + what);
        features = 0;
      }
      if (kind != AttentionKind.BIGBIRD) {
        unused(blockSize, "blockSize", what);
        unused(randomBlocks, "randomBlocks", what);
        unused(randomSeed, "randomSeed", what);
        check(randomPlan == null, "randomPlan applies to bigbird attention only; leave it unset for " + what);
        blockSize = 0;
        randomBlocks = 0;
      }
      if (kind != AttentionKind.LONGFORMER) {
        unused(globalTokens, "globalTokens", what);
      }
      if (kind != AttentionKind.NYSTROM) {
        check(inverseStart == null, "inverseStart (" + (inverseStart == null ? "" : inverseStart.jsonName())
            + ") applies to nystrom attention only; leave it unset for " + what);
        unused(landmarks, "landmarks", what);
        landmarks = 0;
      }
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
        case LINFORMER -> {
          require(rank, "rank", what + " (its linformer_k: the projected length)");
          check(rank >= 1, "rank (" + rank + ") must be >= 1: the length E projects the keys and values to");
          check(maxLength >= 0, "maxLength (" + maxLength + ") must be >= 0 (0 = the input's length)");
          unused(window, "window", what);
          unused(segment, "segment", what);
          noGlobalToken(what);
          checkConv();
          window = 0;
          segment = 0;
        }
        case NYSTROM -> {
          require(landmarks, "landmarks", what);
          check(landmarks >= 1, "landmarks (" + landmarks + ") must be >= 1");
          unused(window, "window", what);
          unused(rank, "rank", what);
          unused(segment, "segment", what);
          unused(maxLength == 0 ? UNSET : maxLength, "maxLength", what + " (it pads to a multiple of landmarks)");
          noGlobalToken(what);
          checkConv();
          if (inverseStart == null) {
            inverseStart = PseudoInverseStart.BATCH;
          }
          window = 0;
          rank = 0;
          segment = 0;
        }
        case PERFORMER -> {
          require(features, "features", what);
          check(features >= 1, "features (" + features + ") must be >= 1");
          unused(window, "window", what);
          unused(rank, "rank", what);
          unused(segment, "segment", what);
          unused(maxLength == 0 ? UNSET : maxLength, "maxLength", what);
          unused(convKernel == 0 ? UNSET : convKernel, "convKernel", what);
          noGlobalToken(what);
          if (featureMap == null) {
            featureMap = FeatureMap.RELU;
          }
          window = 0;
          rank = 0;
          segment = 0;
        }
        case LONGFORMER -> {
          require(window, "window", what + " (its attention_window)");
          check(window >= 2 && window % 2 == 0, "window (" + window + ") must be even and >= 2 for longformer"
              + " attention: a query sees window/2 keys on each side (transformers' attention_window)");
          check(globalTokens >= 0, "globalTokens (" + globalTokens + ") must be >= 0");
          unused(rank, "rank", what);
          unused(segment, "segment", what);
          unused(maxLength == 0 ? UNSET : maxLength, "maxLength", what);
          unused(convKernel == 0 ? UNSET : convKernel, "convKernel", what);
          check(globalToken == GlobalToken.NONE, "globalToken (" + globalToken.jsonName()
              + ") applies to long_short attention only; longformer attention makes leading positions global"
              + " with globalTokens");
          rank = 0;
          segment = 0;
        }
        case BIGBIRD -> {
          require(blockSize, "blockSize", what);
          check(blockSize >= 1, "blockSize (" + blockSize + ") must be >= 1");
          if (randomBlocks == UNSET) {
            randomBlocks = 3;
          }
          check(randomBlocks >= 0, "randomBlocks (" + randomBlocks + ") must be >= 0");
          unused(window, "window", what);
          unused(rank, "rank", what);
          unused(segment, "segment", what);
          unused(maxLength == 0 ? UNSET : maxLength, "maxLength", what);
          unused(convKernel == 0 ? UNSET : convKernel, "convKernel", what);
          noGlobalToken(what);
          if (randomPlan != null) {
            check(randomPlan.length == heads, "randomPlan has " + randomPlan.length + " heads, heads is " + heads);
            for (int[][] head : randomPlan) {
              check(head.length == randomPlan[0].length, "randomPlan: every head needs the same number of query blocks");
              for (int[] row : head) {
                check(row.length == randomBlocks, "randomPlan rows must have randomBlocks (" + randomBlocks
                    + ") entries, got " + row.length);
                for (int block : row) {
                  check(block >= 0 && block < head.length + 2, "randomPlan block " + block + " is outside 0.."
                      + (head.length + 1));
                }
              }
            }
          }
          window = 0;
          rank = 0;
          segment = 0;
        }
        default -> throw new AssertionError(kind);
      }
      return new AttentionSpec(this);
    }

    private void checkConv() {
      check(convKernel >= 0 && (convKernel == 0 || convKernel % 2 == 1), "convKernel (" + convKernel
          + ") must be 0 (no convolution) or an odd size >= 1, so that the output keeps the input's length");
    }

    private void noGlobalToken(String what) {
      check(globalToken == GlobalToken.NONE, "globalToken (" + globalToken.jsonName()
          + ") applies to long_short attention only; for " + what + " put the CLS token in the sequence");
    }

    private static void unused(int value, String field, String what) {
      check(value == UNSET || value == 0, field + " (" + value + ") does not apply to " + what
          + "; leave it unset");
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
