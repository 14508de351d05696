package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The authors' autoregressive Transformer-LS ({@code autoregressive/model_lib/model.py:
 * TransformerLSModel} with {@code ChunkedLSAttention}): an immutable value, validated when built,
 * that round-trips through JSON under the authors' constructor argument names ({@code d_model},
 * {@code chunk_size}, ...), so their config (and a fairseq run's args) read as they are.
 *
 * <p>Not our {@code causal_long_short} language models ({@link ModelSpec}, learned absolute
 * positions, no cache): this one has Transformer-XL relative positions, a hidden-state cache of
 * {@code mem_len} positions per layer carried from block to block, and its own layer order.
 *
 * <p>Letters: V vocabulary, D width, F FFN width, H heads, W window, C chunk, R rank, L cache
 * length (mem_len), M block length.
 */
@JsonPropertyOrder({"kind", "vocab_size", "d_model", "d_inner", "n_head", "n_layer", "mem_len",
    "window_len", "chunk_size", "chunk_rank", "dropout", "emb_dropout", "use_bias", "pre_ln",
    "use_gelu", "clamp_len", "cpos_clamp_len"})
@JsonIgnoreProperties({"grad_chk", "probing"})
public final class TransformerLsSpec {
  /** The value of {@code kind} in JSON, telling this spec from {@link ModelSpec} files. */
  public static final String KIND = "transformer_ls_lm";
  /** fairseq's LayerNorm (torch.nn.LayerNorm) epsilon. */
  public static final double LAYER_NORM_EPSILON = 1e-5;

  private final int vocabSize;
  private final int width;
  private final int innerWidth;
  private final int heads;
  private final int layers;
  private final int memLen;
  private final int window;
  private final int chunkSize;
  private final int chunkRank;
  private final double dropout;
  private final double embDropout;
  private final boolean useBias;
  private final boolean preLn;
  private final boolean useGelu;
  private final int clampLen;
  private final int cposClampLen;

  private TransformerLsSpec(Builder b) {
    vocabSize = b.vocabSize;
    width = b.width;
    innerWidth = b.innerWidth;
    heads = b.heads;
    layers = b.layers;
    memLen = b.memLen;
    window = b.window;
    chunkSize = b.chunkSize;
    chunkRank = b.chunkRank;
    dropout = b.dropout;
    embDropout = b.embDropout;
    useBias = b.useBias;
    preLn = b.preLn;
    useGelu = b.useGelu;
    clampLen = b.clampLen;
    cposClampLen = b.cposClampLen;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** This model keeping {@code memLen} past positions (validated as {@code setMemLen} is). */
  public TransformerLsSpec withMemLen(int memLen) {
    return toBuilder().setMemLen(memLen).build();
  }

  /** This model with {@code dropout} both inside the layers and on the embeddings. */
  public TransformerLsSpec withDropout(double dropout) {
    return toBuilder().optDropout(dropout).optEmbDropout(dropout).build();
  }

  public Builder toBuilder() {
    return new Builder().setVocabSize(vocabSize).setWidth(width).setInnerWidth(innerWidth).setHeads(heads)
        .setLayers(layers).setMemLen(memLen).setWindow(window).setChunkSize(chunkSize).setChunkRank(chunkRank)
        .optDropout(dropout).optEmbDropout(embDropout).optUseBias(useBias).optPreLn(preLn).optUseGelu(useGelu)
        .optClampLen(clampLen).optCposClampLen(cposClampLen);
  }

  @JsonCreator
  static TransformerLsSpec fromJson(
      @JsonProperty("kind") String kind,
      @JsonProperty(value = "vocab_size", required = true) int vocabSize,
      @JsonProperty(value = "d_model", required = true) int width,
      @JsonProperty(value = "d_inner", required = true) int innerWidth,
      @JsonProperty(value = "n_head", required = true) int heads,
      @JsonProperty(value = "n_layer", required = true) int layers,
      @JsonProperty(value = "mem_len", required = true) int memLen,
      @JsonProperty(value = "window_len", required = true) int window,
      @JsonProperty(value = "chunk_size", required = true) int chunkSize,
      @JsonProperty(value = "chunk_rank", required = true) int chunkRank,
      @JsonProperty("dropout") Double dropout,
      @JsonProperty("emb_dropout") Double embDropout,
      @JsonProperty("use_bias") Boolean useBias,
      @JsonProperty("pre_ln") Boolean preLn,
      @JsonProperty("use_gelu") Boolean useGelu,
      @JsonProperty("clamp_len") Integer clampLen,
      @JsonProperty("cpos_clamp_len") Integer cposClampLen) {
    if (kind != null && !KIND.equals(kind)) {
      throw new IllegalArgumentException("TransformerLsSpec: kind (\"" + kind + "\") must be \"" + KIND + "\"");
    }
    Builder b = new Builder().setVocabSize(vocabSize).setWidth(width).setInnerWidth(innerWidth)
        .setHeads(heads).setLayers(layers).setMemLen(memLen).setWindow(window).setChunkSize(chunkSize)
        .setChunkRank(chunkRank);
    if (dropout != null) {
      b.optDropout(dropout);
    }
    if (embDropout != null) {
      b.optEmbDropout(embDropout);
    }
    if (useBias != null) {
      b.optUseBias(useBias);
    }
    if (preLn != null) {
      b.optPreLn(preLn);
    }
    if (useGelu != null) {
      b.optUseGelu(useGelu);
    }
    if (clampLen != null) {
      b.optClampLen(clampLen);
    }
    if (cposClampLen != null) {
      b.optCposClampLen(cposClampLen);
    }
    return b.build();
  }

  /**
   * The spec of an authors' config: {@code TransformerLSModel}'s constructor arguments as the
   * golden files' metadata (and a fairseq checkpoint's args) hold them; {@code grad_chk} and
   * {@code probing} change no number and are ignored.
   */
  public static TransformerLsSpec fromAuthorsConfig(JsonNode config) {
    return Json.read(config.toString(), TransformerLsSpec.class);
  }

  @JsonProperty("kind")
  public String kind() {
    return KIND;
  }

  /** V. */
  @JsonProperty("vocab_size")
  public int vocabSize() {
    return vocabSize;
  }

  /** D. */
  @JsonProperty("d_model")
  public int width() {
    return width;
  }

  /** F, the feed-forward width. */
  @JsonProperty("d_inner")
  public int innerWidth() {
    return innerWidth;
  }

  /** H. */
  @JsonProperty("n_head")
  public int heads() {
    return heads;
  }

  /** K = D / H. */
  public int headWidth() {
    return width / heads;
  }

  @JsonProperty("n_layer")
  public int layers() {
    return layers;
  }

  /** L: cached positions per layer. */
  @JsonProperty("mem_len")
  public int memLen() {
    return memLen;
  }

  /** W: a query sees its W most recent positions, itself included. */
  @JsonProperty("window_len")
  public int window() {
    return window;
  }

  /** C: positions per compressed chunk. */
  @JsonProperty("chunk_size")
  public int chunkSize() {
    return chunkSize;
  }

  /** R: vectors per chunk and head. */
  @JsonProperty("chunk_rank")
  public int chunkRank() {
    return chunkRank;
  }

  @JsonProperty("dropout")
  public double dropout() {
    return dropout;
  }

  @JsonProperty("emb_dropout")
  public double embDropout() {
    return embDropout;
  }

  @JsonProperty("use_bias")
  public boolean useBias() {
    return useBias;
  }

  @JsonProperty("pre_ln")
  public boolean preLn() {
    return preLn;
  }

  @JsonProperty("use_gelu")
  public boolean useGelu() {
    return useGelu;
  }

  /** Window distances above this are clamped to it; &lt;= 0: none. */
  @JsonProperty("clamp_len")
  public int clampLen() {
    return clampLen;
  }

  /** Chunk distances (in compressed slots) above this are clamped to it; &lt;= 0: none. */
  @JsonProperty("cpos_clamp_len")
  public int cposClampLen() {
    return cposClampLen;
  }

  /** lcm(C, W): what a block that is not a multiple of C is padded to a multiple of. */
  public int padMultiple() {
    return chunkSize / gcd(chunkSize, window) * window;
  }

  /**
   * The length a block of {@code m} positions runs at, as the authors' forward takes it: a block
   * that is not a multiple of C is padded (id 0) to a multiple of lcm(C, W); any other block must
   * be at most W or a multiple of W.
   *
   * @throws IllegalArgumentException naming the block length and what would be accepted
   */
  public int paddedBlock(int m) {
    if (m < 1) {
      throw new IllegalArgumentException("TransformerLsSpec: block length (" + m + ") must be >= 1");
    }
    if (m % chunkSize != 0) {
      return (m + padMultiple() - 1) / padMultiple() * padMultiple();
    }
    if (m > window && m % window != 0) {
      throw new IllegalArgumentException("TransformerLsSpec: block length (" + m + ") is a multiple of"
          + " chunk_size (" + chunkSize + ") but longer than window_len (" + window + ") and not a"
          + " multiple of it; the authors' forward accepts blocks of at most " + window + ", multiples of "
          + window + ", or lengths that are not multiples of " + chunkSize + " (padded to a multiple of "
          + padMultiple() + "), e.g. " + (m / window * window) + " or " + ((m / window + 1) * window));
    }
    return m;
  }

  public String toJson() {
    return Json.write(this);
  }

  public static TransformerLsSpec parseJson(String json) {
    return Json.read(json, TransformerLsSpec.class);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransformerLsSpec s && vocabSize == s.vocabSize && width == s.width
        && innerWidth == s.innerWidth && heads == s.heads && layers == s.layers && memLen == s.memLen
        && window == s.window && chunkSize == s.chunkSize && chunkRank == s.chunkRank
        && Double.compare(dropout, s.dropout) == 0 && Double.compare(embDropout, s.embDropout) == 0
        && useBias == s.useBias && preLn == s.preLn && useGelu == s.useGelu && clampLen == s.clampLen
        && cposClampLen == s.cposClampLen;
  }

  @Override
  public int hashCode() {
    return Objects.hash(vocabSize, width, innerWidth, heads, layers, memLen, window, chunkSize, chunkRank,
        dropout, embDropout, useBias, preLn, useGelu, clampLen, cposClampLen);
  }

  @Override
  public String toString() {
    return toJson();
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** Required values with {@code setX}, optional ones with {@code optX}; checked in {@link #build()}. */
  public static final class Builder {
    private static final int UNSET = Integer.MIN_VALUE;
    private int vocabSize = UNSET;
    private int width = UNSET;
    private int innerWidth = UNSET;
    private int heads = UNSET;
    private int layers = UNSET;
    private int memLen = UNSET;
    private int window = UNSET;
    private int chunkSize = UNSET;
    private int chunkRank = UNSET;
    private double dropout = 0;
    private double embDropout = 0;
    private boolean useBias = false;
    private boolean preLn = true;
    private boolean useGelu = true;
    private int clampLen = -1;
    private int cposClampLen = -1;

    private Builder() {}

    public Builder setVocabSize(int v) {
      vocabSize = v;
      return this;
    }

    public Builder setWidth(int d) {
      width = d;
      return this;
    }

    public Builder setInnerWidth(int f) {
      innerWidth = f;
      return this;
    }

    public Builder setHeads(int h) {
      heads = h;
      return this;
    }

    public Builder setLayers(int n) {
      layers = n;
      return this;
    }

    public Builder setMemLen(int l) {
      memLen = l;
      return this;
    }

    public Builder setWindow(int w) {
      window = w;
      return this;
    }

    public Builder setChunkSize(int c) {
      chunkSize = c;
      return this;
    }

    public Builder setChunkRank(int r) {
      chunkRank = r;
      return this;
    }

    public Builder optDropout(double p) {
      dropout = p;
      return this;
    }

    public Builder optEmbDropout(double p) {
      embDropout = p;
      return this;
    }

    public Builder optUseBias(boolean b) {
      useBias = b;
      return this;
    }

    public Builder optPreLn(boolean b) {
      preLn = b;
      return this;
    }

    public Builder optUseGelu(boolean b) {
      useGelu = b;
      return this;
    }

    public Builder optClampLen(int c) {
      clampLen = c;
      return this;
    }

    public Builder optCposClampLen(int c) {
      cposClampLen = c;
      return this;
    }

    public TransformerLsSpec build() {
      require(vocabSize, "vocab_size");
      require(width, "d_model");
      require(innerWidth, "d_inner");
      require(heads, "n_head");
      require(layers, "n_layer");
      require(memLen, "mem_len");
      require(window, "window_len");
      require(chunkSize, "chunk_size");
      require(chunkRank, "chunk_rank");
      check(vocabSize >= 1, "vocab_size (" + vocabSize + ") must be >= 1");
      check(width >= 2 && width % 2 == 0, "d_model (" + width + ") must be even and >= 2 (sinusoid halves)");
      check(innerWidth >= 1, "d_inner (" + innerWidth + ") must be >= 1");
      check(heads >= 1, "n_head (" + heads + ") must be >= 1");
      check(width % heads == 0, "d_model (" + width + ") is not divisible by n_head (" + heads + ")");
      check(layers >= 1, "n_layer (" + layers + ") must be >= 1");
      check(window >= 1, "window_len (" + window + ") must be >= 1: a query sees at least itself");
      check(chunkSize >= 1, "chunk_size (" + chunkSize + ") must be >= 1");
      check(chunkRank >= 1, "chunk_rank (" + chunkRank + ") must be >= 1");
      check(memLen >= window && memLen % chunkSize == 0, "mem_len (" + memLen + ") must be a multiple of"
          + " chunk_size (" + chunkSize + ") and at least window_len (" + window + "): the window reads the"
          + " cache's last " + window + " positions and the cache is compressed chunk by chunk");
      check(dropout >= 0 && dropout < 1, "dropout (" + dropout + ") must be in [0, 1)");
      check(embDropout >= 0 && embDropout < 1, "emb_dropout (" + embDropout + ") must be in [0, 1)");
      return new TransformerLsSpec(this);
    }

    private static void require(int value, String field) {
      check(value != UNSET, field + " is required");
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("TransformerLsSpec: " + message);
      }
    }
  }
}
