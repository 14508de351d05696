package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.annotation.JsonTypeIdResolver;
import java.util.Arrays;
import java.util.Objects;

/**
 * What one attention layer computes: one record per kind ({@link LongShort}, {@link CausalLongShort},
 * {@link Full}, {@link CausalFull}, {@link Linformer}, {@link Nystrom}, {@link Performer},
 * {@link Longformer}, {@link BigBird}), immutable values validated when constructed (by the builder,
 * JSON or the records' constructors alike, with the same messages) that round-trip through JSON
 * ({@link Json}), told apart by their {@code kind} field.
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
 * AttentionSpec same = new AttentionSpec.LongShort(64, 2, 8, 32, GlobalToken.NONE, 1e-5);
 * }</pre>
 *
 * <p>The accessors of the fields a kind does not have answer 0 or null, and the JSON leaves the
 * newer ones (landmarks to randomPlan) out, so files written before the records read and write the
 * same.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.CUSTOM, include = JsonTypeInfo.As.EXISTING_PROPERTY, property = "kind",
    visible = true)
@JsonTypeIdResolver(KindTypeIds.Attention.class)
@JsonPropertyOrder({"kind", "width", "heads", "window", "rank", "segment", "landmarks", "maxLength",
    "convKernel", "inverseStart", "features", "featureMap", "featureSeed", "globalTokens", "blockSize", "randomBlocks", "randomSeed", "randomPlan",
    "globalToken", "layerNormEpsilon"})
public sealed interface AttentionSpec permits AttentionSpec.LongShort, AttentionSpec.CausalLongShort,
    AttentionSpec.Full, AttentionSpec.CausalFull, AttentionSpec.Linformer, AttentionSpec.Nystrom,
    AttentionSpec.Performer, AttentionSpec.Longformer, AttentionSpec.BigBird {
  /** PyTorch's LayerNorm default, used by the authors. */
  double DEFAULT_LAYER_NORM_EPSILON = 1e-5;

  /** Bidirectional long-short attention: requires width, heads, window and rank. */
  static Builder longShort() {
    return new Builder(AttentionKind.LONG_SHORT);
  }

  /** Causal long-short attention: requires width, heads, window, segment and rank. */
  static Builder causalLongShort() {
    return new Builder(AttentionKind.CAUSAL_LONG_SHORT);
  }

  /** Full softmax attention: requires width and heads. */
  static Builder full() {
    return new Builder(AttentionKind.FULL);
  }

  /** Full softmax attention with a causal mask: requires width and heads. */
  static Builder causalFull() {
    return new Builder(AttentionKind.CAUSAL_FULL);
  }

  /**
   * The authors' Linformer (their LRA {@code attention_linformer.py}): keys and values projected
   * along the sequence by a learned E (H, r, maxLength); requires width, heads and rank (their
   * {@code linformer_k}).
   */
  static Builder linformer() {
    return new Builder(AttentionKind.LINFORMER);
  }

  /**
   * The authors' Nystromformer (their LRA {@code attention_nystrom.py}): m segment-mean landmarks
   * and an iterative pseudo-inverse; requires width, heads and landmarks.
   */
  static Builder nystrom() {
    return new Builder(AttentionKind.NYSTROM);
  }

  /**
   * Performer (performer_pytorch's FastAttention, non-causal): linear attention over m random
   * features of the queries and keys; requires width, heads and features.
   */
  static Builder performer() {
    return new Builder(AttentionKind.PERFORMER);
  }

  /**
   * Longformer (Hugging Face transformers' LongformerSelfAttention): a sliding window of
   * {@code window} (their attention_window, even: window/2 keys each side) and the first
   * {@code globalTokens} positions attending to and from every position through their own
   * projections; requires width, heads and window.
   */
  static Builder longformer() {
    return new Builder(AttentionKind.LONGFORMER);
  }

  /**
   * BigBird (Hugging Face transformers' BigBirdBlockSparseAttention): blocks of {@code blockSize},
   * each middle query block sees its neighbour blocks, the first and last (global) blocks and
   * {@code randomBlocks} random blocks; the first and last query blocks see everything; requires
   * width, heads and blockSize.
   */
  static Builder bigBird() {
    return new Builder(AttentionKind.BIGBIRD);
  }

  static Builder builder(AttentionKind kind) {
    return new Builder(Objects.requireNonNull(kind, "kind"));
  }

  /**
   * Attention of {@code kind} with this one's width and heads and, when {@code kind} is long-short,
   * its window and rank (and segment, when causal): model surgery that swaps the attention of a
   * model while keeping its shape.
   */
  default AttentionSpec withKind(AttentionKind kind) {
    Builder b = builder(kind).setWidth(width()).setHeads(heads());
    if (kind.isLongShort()) {
      b.setWindow(window()).setRank(rank());
      if (kind.isCausal()) {
        b.setSegment(segment());
      }
    }
    return b.build();
  }

  /** A builder holding this spec's values, to derive a changed copy. */
  default Builder toBuilder() {
    Builder b = new Builder(kind()).setWidth(width()).setHeads(heads())
        .optGlobalToken(globalToken()).optLayerNormEpsilon(layerNormEpsilon());
    b.window = window();
    b.rank = rank();
    b.segment = segment();
    b.landmarks = landmarks();
    b.maxLength = maxLength();
    b.convKernel = convKernel();
    b.inverseStart = inverseStart();
    b.features = features();
    b.featureMap = featureMap();
    b.featureSeed = featureSeed();
    b.globalTokens = globalTokens();
    b.blockSize = blockSize();
    b.randomBlocks = randomBlocks();
    b.randomSeed = randomSeed();
    b.randomPlan = randomPlan();
    return b;
  }

  @JsonProperty("kind")
  AttentionKind kind();

  /** D: the model width, input and output. */
  @JsonProperty("width")
  int width();

  /** H: number of heads. */
  @JsonProperty("heads")
  int heads();

  /** K = D / H. */
  default int headWidth() {
    return width() / heads();
  }

  /**
   * w: for {@code long_short} the segment length of the sliding window (each query sees its
   * segment plus max(w/2, 1) keys each side), for {@code causal_long_short} the number of most
   * recent positions a query sees (itself included), Longformer's attention_window; 0 for the
   * other kinds.
   */
  @JsonProperty("window")
  default int window() {
    return 0;
  }

  /** r: dynamic-projection rank (per segment for causal), Linformer's k; 0 means no long-range part. */
  @JsonProperty("rank")
  default int rank() {
    return 0;
  }

  /** l: the length of the segments that causal long-short attention projects; 0 otherwise. */
  @JsonProperty("segment")
  default int segment() {
    return 0;
  }

  /** m: Nystrom landmarks, the means of m consecutive segments of the (padded) sequence; 0 otherwise. */
  @JsonProperty("landmarks")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int landmarks() {
    return 0;
  }

  /**
   * Linformer: the sequence length its projection E (H, r, maxLength) is learned for (the
   * authors' {@code max_seq_len}); shorter inputs are padded to it. 0 = the input's own length
   * (a model sets its maxLength here, see {@link ModelSpec#attentionFor}).
   */
  @JsonProperty("maxLength")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int maxLength() {
    return 0;
  }

  /**
   * Linformer and Nystrom: the size of the depth-wise convolution over the masked values that is
   * added to the output (the authors' {@code conv_kernel_size}, odd); 0 = none.
   */
  @JsonProperty("convKernel")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int convKernel() {
    return 0;
  }

  /** Nystrom: how the pseudo-inverse iteration starts; null for the other kinds. */
  @JsonProperty("inverseStart")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  default PseudoInverseStart inverseStart() {
    return null;
  }

  /** Performer: m, the number of random features (performer_pytorch's nb_features, the authors' rp_dim); 0 otherwise. */
  @JsonProperty("features")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int features() {
    return 0;
  }

  /** Performer: which random features; null for the other kinds. */
  @JsonProperty("featureMap")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  default FeatureMap featureMap() {
    return null;
  }

  /**
   * Performer: the seed of the random projection each layer draws (with its name); another seed
   * redraws the features. Default 0.
   */
  @JsonProperty("featureSeed")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int featureSeed() {
    return 0;
  }

  /**
   * Longformer: how many leading positions attend globally (to and from every position, with their
   * own projections), e.g. 1 for a CLS token in front; 0 otherwise.
   */
  @JsonProperty("globalTokens")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int globalTokens() {
    return 0;
  }

  /** BigBird: the block size (transformers' block_size); 0 otherwise. */
  @JsonProperty("blockSize")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int blockSize() {
    return 0;
  }

  /** BigBird: random key blocks per middle query block (num_random_blocks); 0 otherwise. */
  @JsonProperty("randomBlocks")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int randomBlocks() {
    return 0;
  }

  /** BigBird: the seed each layer draws its random plan from (with its name), unless randomPlan is given. */
  @JsonProperty("randomSeed")
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  default int randomSeed() {
    return 0;
  }

  /**
   * BigBird: an explicit random plan (H, blocks - 2, randomBlocks) of key block indices for query
   * blocks 1 .. blocks - 2 (transformers' rand_attn), e.g. theirs from a golden file; null = drawn
   * from randomSeed. Fixes the length to blockSize x blocks.
   */
  @JsonProperty("randomPlan")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  default int[][][] randomPlan() {
    return null;
  }

  /** Where a CLS token comes from: only long-short attention has one of its own. */
  @JsonProperty("globalToken")
  default GlobalToken globalToken() {
    return GlobalToken.NONE;
  }

  @JsonProperty("layerNormEpsilon")
  double layerNormEpsilon();

  /** Number of output rows for an input of n rows (1 + n with a CLS token from an input). */
  default int outputLength(int n) {
    return globalToken() == GlobalToken.INPUT ? n + 1 : n;
  }

  default String toJson() {
    return Json.write(this);
  }

  static AttentionSpec parseJson(String json) {
    return Json.read(json, AttentionSpec.class);
  }

  private static int[][][] deepCopy(int[][][] plan) {
    if (plan == null) {
      return null;
    }
    int[][][] c = new int[plan.length][][];
    for (int i = 0; i < plan.length; i++) {
      c[i] = new int[plan[i].length][];
      for (int j = 0; j < plan[i].length; j++) {
        c[i][j] = plan[i][j].clone();
      }
    }
    return c;
  }

  /** Bidirectional long-short attention: a sliding window of w and a dynamic projection to r keys. */
  record LongShort(int width, int heads, int window, int rank, GlobalToken globalToken, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static LongShort fromJson(AttentionFields json) {
      return (LongShort) json.build();
    }

    public LongShort {
      new Builder(AttentionKind.LONG_SHORT).setWidth(width).setHeads(heads).setWindow(window).setRank(rank).optGlobalToken(globalToken).optLayerNormEpsilon(layerNormEpsilon).check();
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

  /** Causal long-short attention: the w most recent positions and r projected keys per segment of l. */
  record CausalLongShort(int width, int heads, int window, int segment, int rank, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static CausalLongShort fromJson(AttentionFields json) {
      return (CausalLongShort) json.build();
    }

    public CausalLongShort {
      new Builder(AttentionKind.CAUSAL_LONG_SHORT).setWidth(width).setHeads(heads).setWindow(window).setSegment(segment).setRank(rank).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.CAUSAL_LONG_SHORT;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** Full softmax attention. */
  record Full(int width, int heads, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Full fromJson(AttentionFields json) {
      return (Full) json.build();
    }

    public Full {
      new Builder(AttentionKind.FULL).setWidth(width).setHeads(heads).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.FULL;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** Full softmax attention with a causal mask. */
  record CausalFull(int width, int heads, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static CausalFull fromJson(AttentionFields json) {
      return (CausalFull) json.build();
    }

    public CausalFull {
      new Builder(AttentionKind.CAUSAL_FULL).setWidth(width).setHeads(heads).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.CAUSAL_FULL;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** The authors' Linformer: keys and values projected along the sequence to rank rows. */
  record Linformer(int width, int heads, int rank, int maxLength, int convKernel, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Linformer fromJson(AttentionFields json) {
      return (Linformer) json.build();
    }

    public Linformer {
      new Builder(AttentionKind.LINFORMER).setWidth(width).setHeads(heads).setRank(rank).optMaxLength(maxLength).optConvKernel(convKernel).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.LINFORMER;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** The authors' Nystromformer: m segment-mean landmarks and an iterative pseudo-inverse. */
  record Nystrom(int width, int heads, int landmarks, int convKernel, PseudoInverseStart inverseStart, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Nystrom fromJson(AttentionFields json) {
      return (Nystrom) json.build();
    }

    public Nystrom {
      new Builder(AttentionKind.NYSTROM).setWidth(width).setHeads(heads).setLandmarks(landmarks).optConvKernel(convKernel).optInverseStart(inverseStart).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.NYSTROM;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** Performer: linear attention over m random features of the queries and keys. */
  record Performer(int width, int heads, int features, FeatureMap featureMap, int featureSeed, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Performer fromJson(AttentionFields json) {
      return (Performer) json.build();
    }

    public Performer {
      new Builder(AttentionKind.PERFORMER).setWidth(width).setHeads(heads).setFeatures(features).optFeatureMap(featureMap).optFeatureSeed(featureSeed).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.PERFORMER;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** Longformer: a sliding window and the first globalTokens positions attending globally. */
  record Longformer(int width, int heads, int window, int globalTokens, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static Longformer fromJson(AttentionFields json) {
      return (Longformer) json.build();
    }

    public Longformer {
      new Builder(AttentionKind.LONGFORMER).setWidth(width).setHeads(heads).setWindow(window).optGlobalTokens(globalTokens).optLayerNormEpsilon(layerNormEpsilon).check();
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.LONGFORMER;
    }

    @Override
    public String toString() {
      return toJson();
    }
  }

  /** BigBird: blocks of blockSize seeing neighbour, global and randomBlocks random blocks; the plan is copied in and out. */
  record BigBird(int width, int heads, int blockSize, int randomBlocks, int randomSeed, int[][][] randomPlan, double layerNormEpsilon) implements AttentionSpec {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static BigBird fromJson(AttentionFields json) {
      return (BigBird) json.build();
    }

    public BigBird {
      new Builder(AttentionKind.BIGBIRD).setWidth(width).setHeads(heads).setBlockSize(blockSize).optRandomBlocks(randomBlocks).optRandomSeed(randomSeed).optRandomPlan(randomPlan).optLayerNormEpsilon(layerNormEpsilon).check();
      randomPlan = deepCopy(randomPlan);
    }

    @Override
    public AttentionKind kind() {
      return AttentionKind.BIGBIRD;
    }

    /** A copy: the record's plan cannot be changed from outside. */
    @Override
    public int[][][] randomPlan() {
      return deepCopy(randomPlan);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BigBird b && width == b.width && heads == b.heads && blockSize == b.blockSize
          && randomBlocks == b.randomBlocks && randomSeed == b.randomSeed && Arrays.deepEquals(randomPlan, b.randomPlan)
          && Double.compare(layerNormEpsilon, b.layerNormEpsilon) == 0;
    }

    @Override
    public int hashCode() {
      return Objects.hash(width, heads, blockSize, randomBlocks, randomSeed, Arrays.deepHashCode(randomPlan),
          layerNormEpsilon);
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

    /** A builder of the JSON fields: absent ones unset (required) or at their defaults. */
    static Builder fromJson(AttentionFields f) {
      Builder b = new Builder(f.kind());
      b.width = f.width() == null ? UNSET : f.width();
      b.heads = f.heads() == null ? UNSET : f.heads();
      b.window = f.window() == null ? UNSET : f.window();
      b.rank = f.rank() == null ? UNSET : f.rank();
      b.segment = f.segment() == null ? UNSET : f.segment();
      b.landmarks = f.landmarks() == null ? UNSET : f.landmarks();
      b.maxLength = f.maxLength() == null ? 0 : f.maxLength();
      b.convKernel = f.convKernel() == null ? 0 : f.convKernel();
      b.inverseStart = f.inverseStart();
      b.features = f.features() == null ? UNSET : f.features();
      b.featureMap = f.featureMap();
      b.featureSeed = f.featureSeed() == null ? 0 : f.featureSeed();
      b.globalTokens = f.globalTokens() == null ? 0 : f.globalTokens();
      b.blockSize = f.blockSize() == null ? UNSET : f.blockSize();
      b.randomBlocks = f.randomBlocks() == null ? UNSET : f.randomBlocks();
      b.randomSeed = f.randomSeed() == null ? 0 : f.randomSeed();
      b.randomPlan = f.randomPlan();
      if (f.globalToken() != null) {
        b.globalToken = f.globalToken();
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
      check();
      return switch (kind) {
        case LONG_SHORT -> new LongShort(width, heads, window, rank, globalToken, layerNormEpsilon);
        case CAUSAL_LONG_SHORT -> new CausalLongShort(width, heads, window, segment, rank, layerNormEpsilon);
        case FULL -> new Full(width, heads, layerNormEpsilon);
        case CAUSAL_FULL -> new CausalFull(width, heads, layerNormEpsilon);
        case LINFORMER -> new Linformer(width, heads, rank, maxLength, convKernel, layerNormEpsilon);
        case NYSTROM -> new Nystrom(width, heads, landmarks, convKernel, inverseStart, layerNormEpsilon);
        case PERFORMER -> new Performer(width, heads, features, featureMap, featureSeed, layerNormEpsilon);
        case LONGFORMER -> new Longformer(width, heads, window, globalTokens, layerNormEpsilon);
        case BIGBIRD -> new BigBird(width, heads, blockSize, randomBlocks, randomSeed, randomPlan, layerNormEpsilon);
        default -> throw new AssertionError(kind);
      };
    }

    /**
     * Every check, in one order, for the builder, JSON and the records' constructors alike; fills
     * the defaults of the optional fields and zeroes the ones the kind does not use.
     */
    private void check() {
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
