package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A whole model: token embeddings, a stack of pre-LN Transformer blocks, a final LayerNorm and a
 * task head. Immutable, validated when built, round-trips through JSON; the shipped configs in
 * {@code configs/} are files of this form.
 *
 * <p>Letters: V vocabulary, N length, D width, F hidden (FFN) width, C classes.
 */
@JsonPropertyOrder({"task", "vocabSize", "maxLength", "width", "layers", "hiddenWidth", "attention",
    "attentionPerLayer", "positions", "pooling", "classes", "tiedLayers", "tiedEmbeddings", "dropout",
    "layerNormEpsilon"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class ModelSpec {
  private final Task task;
  private final int vocabSize;
  private final int maxLength;
  private final int width;
  private final int layers;
  private final int hiddenWidth;
  private final AttentionSpec attention;
  private final List<AttentionSpec> attentionPerLayer;
  private final Positions positions;
  private final Pooling pooling;
  private final int classes;
  private final boolean tiedLayers;
  private final boolean tiedEmbeddings;
  private final double dropout;
  private final double layerNormEpsilon;

  private ModelSpec(Builder b) {
    task = b.task;
    vocabSize = b.vocabSize;
    maxLength = b.maxLength;
    width = b.width;
    layers = b.layers;
    hiddenWidth = b.hiddenWidth;
    attention = b.attention;
    attentionPerLayer = b.attentionPerLayer == null ? null : List.copyOf(b.attentionPerLayer);
    positions = b.positions;
    pooling = b.pooling;
    classes = b.classes;
    tiedLayers = b.tiedLayers;
    tiedEmbeddings = b.tiedEmbeddings;
    dropout = b.dropout;
    layerNormEpsilon = b.layerNormEpsilon;
  }

  /** A sequence classifier (the authors' ModelForSC). */
  public static Builder classifier() {
    return new Builder(Task.CLASSIFIER);
  }

  /** A two-tower retrieval classifier with shared weights (the authors' ModelForSCDual). */
  public static Builder retrieval() {
    return new Builder(Task.RETRIEVAL);
  }

  /** A byte-level language model (causal attention, next-token logits). */
  public static Builder languageModel() {
    return new Builder(Task.LANGUAGE_MODEL).optPooling(Pooling.NONE);
  }

  public Builder toBuilder() {
    Builder b = new Builder(task);
    b.vocabSize = vocabSize;
    b.maxLength = maxLength;
    b.width = width;
    b.layers = layers;
    b.hiddenWidth = hiddenWidth;
    b.attention = attention;
    b.attentionPerLayer = attentionPerLayer;
    b.positions = positions;
    b.pooling = pooling;
    b.classes = classes;
    b.tiedLayers = tiedLayers;
    b.tiedEmbeddings = tiedEmbeddings;
    b.dropout = dropout;
    b.layerNormEpsilon = layerNormEpsilon;
    return b;
  }

  @JsonCreator
  static ModelSpec fromJson(
      @JsonProperty(value = "task", required = true) Task task,
      @JsonProperty(value = "vocabSize", required = true) int vocabSize,
      @JsonProperty(value = "maxLength", required = true) int maxLength,
      @JsonProperty(value = "width", required = true) int width,
      @JsonProperty(value = "layers", required = true) int layers,
      @JsonProperty(value = "hiddenWidth", required = true) int hiddenWidth,
      @JsonProperty(value = "attention", required = true) AttentionSpec attention,
      @JsonProperty("attentionPerLayer") List<AttentionSpec> attentionPerLayer,
      @JsonProperty("positions") Positions positions,
      @JsonProperty("pooling") Pooling pooling,
      @JsonProperty("classes") Integer classes,
      @JsonProperty("tiedLayers") Boolean tiedLayers,
      @JsonProperty("tiedEmbeddings") Boolean tiedEmbeddings,
      @JsonProperty("dropout") Double dropout,
      @JsonProperty("layerNormEpsilon") Double layerNormEpsilon) {
    Builder b = new Builder(task).setVocabSize(vocabSize).setMaxLength(maxLength).setWidth(width)
        .setLayers(layers).setHiddenWidth(hiddenWidth).setAttention(attention);
    b.attentionPerLayer = attentionPerLayer;
    if (positions != null) {
      b.positions = positions;
    }
    if (pooling != null) {
      b.pooling = pooling;
    } else if (task == Task.LANGUAGE_MODEL) {
      b.pooling = Pooling.NONE;
    }
    if (classes != null) {
      b.classes = classes;
    }
    b.tiedLayers = Boolean.TRUE.equals(tiedLayers);
    b.tiedEmbeddings = Boolean.TRUE.equals(tiedEmbeddings);
    if (dropout != null) {
      b.dropout = dropout;
    }
    if (layerNormEpsilon != null) {
      b.layerNormEpsilon = layerNormEpsilon;
    }
    return b.build();
  }

  @JsonProperty("task") public Task task() { return task; }
  /** V: token ids are 0..V-1 (0 is padding in the LRA data; V-1 is the CLS id for CLS pooling). */
  @JsonProperty("vocabSize") public int vocabSize() { return vocabSize; }
  /** The number of positions the model knows (the authors' max_seq_len), CLS row included. */
  @JsonProperty("maxLength") public int maxLength() { return maxLength; }
  @JsonProperty("width") public int width() { return width; }
  @JsonProperty("layers") public int layers() { return layers; }
  /** F: the MLP's hidden width, also the classifier head's (the authors' transformer_hidden_dim). */
  @JsonProperty("hiddenWidth") public int hiddenWidth() { return hiddenWidth; }
  /** The attention of every layer, unless {@link #attentionPerLayer()} names one per layer. */
  @JsonProperty("attention") public AttentionSpec attention() { return attention; }
  @JsonProperty("attentionPerLayer") public List<AttentionSpec> attentionPerLayer() { return attentionPerLayer; }
  @JsonProperty("positions") public Positions positions() { return positions; }
  @JsonProperty("pooling") public Pooling pooling() { return pooling; }
  /** C: output classes (0 for language models, whose outputs are the V token logits). */
  @JsonProperty("classes") public int classes() { return classes; }
  /** One block's weights shared by every layer (the authors' tied_weights). */
  @JsonProperty("tiedLayers") public boolean tiedLayers() { return tiedLayers; }
  /** Language models: the output projection is the token embedding table. */
  @JsonProperty("tiedEmbeddings") public boolean tiedEmbeddings() { return tiedEmbeddings; }
  @JsonProperty("dropout") public double dropout() { return dropout; }
  @JsonProperty("layerNormEpsilon") public double layerNormEpsilon() { return layerNormEpsilon; }

  /** The attention that layer {@code i} computes, with the CLS token this model's pooling gives it. */
  public AttentionSpec attentionFor(int layer) {
    AttentionSpec base = attentionPerLayer != null ? attentionPerLayer.get(layer) : attention;
    GlobalToken token = switch (pooling) {
      case CLS -> base.kind() == AttentionKind.LONG_SHORT ? GlobalToken.FIRST_ROW : GlobalToken.NONE;
      case CLS_TOKEN -> GlobalToken.INPUT;
      case CLS_LAST_LAYER -> layer == layers - 1 ? GlobalToken.INPUT : GlobalToken.NONE;
      case MEAN, NONE -> GlobalToken.NONE;
    };
    if (base.kind() == AttentionKind.LINFORMER && base.maxLength() == 0) {
      // Linformer's E is learned for the model's length, as the authors' max_seq_len
      base = base.toBuilder().optMaxLength(maxLength).build();
    }
    return token == base.globalToken() ? base : base.toBuilder().optGlobalToken(token).build();
  }

  /**
   * This model as exports serve it: every Nystrom layer's pseudo-inverse starts per batch row
   * ({@link PseudoInverseStart#ROW}), so that a server's batching of requests cannot change an
   * answer (the authors' start couples the rows of a batch). Same parameters; other kinds as they are.
   */
  public ModelSpec forServing() {
    java.util.function.UnaryOperator<AttentionSpec> perRow = a -> a.kind() == AttentionKind.NYSTROM
        && a.inverseStart() != PseudoInverseStart.ROW ? a.toBuilder().optInverseStart(PseudoInverseStart.ROW).build() : a;
    Builder b = toBuilder().setAttention(perRow.apply(attention));
    if (attentionPerLayer != null) {
      b.optAttentionPerLayer(attentionPerLayer.stream().map(perRow).toList());
    }
    ModelSpec served = b.build();
    return served.equals(this) ? this : served;
  }

  /**
   * This model with every layer's attention replaced by {@code attention} (a per-layer list is
   * dropped). A pooling whose learned CLS vector joins long-short attention as a global token
   * ({@code cls_last_layer}, {@code cls_token}) becomes {@code cls} (a CLS id in front of the
   * tokens) when {@code attention} is not bidirectional long-short; {@link #pooling()} of the
   * result says which.
   */
  public ModelSpec withAttention(AttentionSpec attention) {
    Builder b = toBuilder().setAttention(attention).optAttentionPerLayer(null);
    boolean learnedCls = pooling == Pooling.CLS_LAST_LAYER || pooling == Pooling.CLS_TOKEN;
    if (learnedCls && attention.kind() != AttentionKind.LONG_SHORT) {
      b.optPooling(Pooling.CLS);
    }
    return b.build();
  }

  /** This model with room for {@code maxLength} positions (validated as {@code setMaxLength} is). */
  public ModelSpec withMaxLength(int maxLength) {
    return toBuilder().setMaxLength(maxLength).build();
  }

  /** This model with dropout {@code dropout} (validated as {@code optDropout} is). */
  public ModelSpec withDropout(double dropout) {
    return toBuilder().optDropout(dropout).build();
  }

  /**
   * Model surgery on the attention: every layer's attention becomes {@code kind} (null keeps this
   * model's kind and settings) at this model's width and heads, its other required fields at
   * {@link AttentionDefaults#of}'s defaults, then {@code settings} changes what it sets (window,
   * rank, landmarks, ...) on that builder; the result goes through {@link #withAttention}. A kind
   * switched to Longformer under a pooling with a CLS row in front ({@code cls}, or a learned CLS
   * that becomes {@code cls}) gets one global token, as Longformer's classifiers have, unless
   * {@code settings} sets another count.
   *
   * <pre>{@code
   * ModelSpec nystrom = spec.withAttention(AttentionKind.NYSTROM, a -> a.setLandmarks(64));
   * ModelSpec wider = spec.withAttention(null, a -> a.setWindow(16));
   * }</pre>
   */
  public ModelSpec withAttention(AttentionKind kind, Consumer<AttentionSpec.Builder> settings) {
    AttentionSpec.Builder b = kind == null ? attention.toBuilder()
        : AttentionDefaults.of(kind, attention.width(), attention.heads(), attention);
    boolean learnedCls = pooling == Pooling.CLS_LAST_LAYER || pooling == Pooling.CLS_TOKEN;
    boolean clsRowInFront = pooling == Pooling.CLS || learnedCls && kind != AttentionKind.LONG_SHORT;
    if (kind == AttentionKind.LONGFORMER && clsRowInFront) {
      b.optGlobalTokens(1); // the CLS row in front attends globally
    }
    settings.accept(b);
    return withAttention(b.build());
  }

  /** Rows entering the encoder for n tokens: a CLS id is put in front for {@link Pooling#CLS}. */
  public int encoderLength(int tokens) {
    return pooling == Pooling.CLS ? tokens + 1 : tokens;
  }

  /** The most tokens an input may have. */
  public int maxTokens() {
    return pooling == Pooling.CLS ? maxLength - 1 : maxLength;
  }

  public String toJson() {
    return Json.write(this);
  }

  public static ModelSpec parseJson(String json) {
    return Json.read(json, ModelSpec.class);
  }

  /** A ModelSpec JSON file; a bad field fails naming the file and the field. */
  public static ModelSpec load(java.nio.file.Path file) throws java.io.IOException {
    if (!java.nio.file.Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model spec file " + file + ": no such file");
    }
    try {
      return parseJson(io.longshort.io.TextFiles.read(file, "model spec file"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec m && task == m.task && vocabSize == m.vocabSize && maxLength == m.maxLength
        && width == m.width && layers == m.layers && hiddenWidth == m.hiddenWidth
        && attention.equals(m.attention) && Objects.equals(attentionPerLayer, m.attentionPerLayer)
        && positions == m.positions && pooling == m.pooling && classes == m.classes
        && tiedLayers == m.tiedLayers && tiedEmbeddings == m.tiedEmbeddings
        && Double.compare(dropout, m.dropout) == 0 && Double.compare(layerNormEpsilon, m.layerNormEpsilon) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(task, vocabSize, maxLength, width, layers, hiddenWidth, attention, attentionPerLayer,
        positions, pooling, classes, tiedLayers, tiedEmbeddings, dropout, layerNormEpsilon);
  }

  @Override
  public String toString() {
    return toJson();
  }

  public static final class Builder {
    private final Task task;
    // unset, told apart from any value given (a given -1 is refused as -1, not as missing)
    private static final int UNSET = Integer.MIN_VALUE;
    private int vocabSize = UNSET;
    private int maxLength = UNSET;
    private int width = UNSET;
    private int layers = UNSET;
    private int hiddenWidth = UNSET;
    private AttentionSpec attention;
    private List<AttentionSpec> attentionPerLayer;
    private Positions positions = Positions.LEARNED;
    private Pooling pooling = Pooling.MEAN;
    private int classes;
    private boolean tiedLayers;
    private boolean tiedEmbeddings;
    private double dropout;
    private double layerNormEpsilon = AttentionSpec.DEFAULT_LAYER_NORM_EPSILON;

    private Builder(Task task) {
      this.task = Objects.requireNonNull(task, "task");
    }

    public Builder setVocabSize(int v) { vocabSize = v; return this; }
    public Builder setMaxLength(int n) { maxLength = n; return this; }
    public Builder setWidth(int d) { width = d; return this; }
    public Builder setLayers(int l) { layers = l; return this; }
    public Builder setHiddenWidth(int f) { hiddenWidth = f; return this; }
    public Builder setAttention(AttentionSpec a) { attention = a; return this; }
    public Builder setClasses(int c) { classes = c; return this; }
    public Builder optAttentionPerLayer(List<AttentionSpec> a) { attentionPerLayer = a; return this; }
    public Builder optPositions(Positions p) { positions = Objects.requireNonNull(p, "positions"); return this; }
    public Builder optPooling(Pooling p) { pooling = Objects.requireNonNull(p, "pooling"); return this; }
    public Builder optTiedLayers(boolean t) { tiedLayers = t; return this; }
    public Builder optTiedEmbeddings(boolean t) { tiedEmbeddings = t; return this; }
    public Builder optDropout(double p) { dropout = p; return this; }
    public Builder optLayerNormEpsilon(double e) { layerNormEpsilon = e; return this; }

    public ModelSpec build() {
      positive(vocabSize, "vocabSize", 2);
      positive(maxLength, "maxLength", 1);
      positive(width, "width", 1);
      positive(layers, "layers", 1);
      positive(hiddenWidth, "hiddenWidth", 1);
      check(attention != null, "attention is required (setAttention)");
      checkSizes();
      check(dropout >= 0 && dropout < 1, "dropout (" + dropout + ") must be in [0, 1)");
      check(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon),
          "layerNormEpsilon (" + layerNormEpsilon + ") must be a finite number > 0");
      if (attentionPerLayer != null) {
        check(attentionPerLayer.size() == layers, "attentionPerLayer has " + attentionPerLayer.size()
            + " entries but layers is " + layers);
        check(!tiedLayers, "tiedLayers shares one block between all layers, so attentionPerLayer must be absent");
      }
      for (int i = 0; i < layers; i++) {
        AttentionSpec a = attentionPerLayer != null ? attentionPerLayer.get(i) : attention;
        String name = attentionPerLayer != null ? "attentionPerLayer[" + i + "]" : "attention";
        check(a.width() == width, name + ".width (" + a.width() + ") must equal width (" + width + ")");
        check(a.globalToken() == GlobalToken.NONE, name + ".globalToken (" + a.globalToken().jsonName()
            + ") must be none: the model's pooling decides which layers get a CLS token");
        if (task == Task.LANGUAGE_MODEL) {
          check(a.kind().isCausal(), name + ".kind (" + a.kind().jsonName() + ") must be causal_long_short"
              + " or causal_full for a language_model, or each position would see the bytes it predicts");
        } else {
          check(!a.kind().isCausal(), name + ".kind (" + a.kind().jsonName() + ") is causal; "
              + task.jsonName() + " models use long_short or full attention");
        }
        // a window or rank past the length changes nothing but the cost: surely a mistake
        check(a.window() <= maxLength, name + ".window (" + a.window() + ") must be <= maxLength (" + maxLength + ")");
        check(a.rank() <= maxLength, name + ".rank (" + a.rank() + ") must be <= maxLength (" + maxLength + ")");
        check(a.kind() != AttentionKind.LINFORMER || a.maxLength() == 0 || a.maxLength() == maxLength,
            name + ".maxLength (" + a.maxLength() + ") must be 0 or the model's maxLength (" + maxLength
            + "): Linformer's E is learned for the model's length");
        boolean getsClsInput = pooling == Pooling.CLS_TOKEN || (pooling == Pooling.CLS_LAST_LAYER && i == layers - 1);
        check(!getsClsInput || a.kind() == AttentionKind.LONG_SHORT, "pooling " + pooling.jsonName()
            + " gives layer " + i + " a CLS token, which only long_short attention takes (it is "
            + a.kind().jsonName() + ")");
      }
      if (task == Task.LANGUAGE_MODEL) {
        check(pooling == Pooling.NONE, "pooling (" + pooling.jsonName() + ") must be none for a language_model");
        check(classes == 0, "classes (" + classes + ") does not apply to a language_model: it predicts "
            + "vocabSize tokens");
      } else {
        check(pooling != Pooling.NONE, "pooling (none) is only for language models; use mean, cls, "
            + "cls_last_layer or cls_token");
        check(classes >= 2, "classes (" + classes + ") must be >= 2 for a " + task.jsonName());
        check(!tiedEmbeddings, "tiedEmbeddings applies to language models only");
      }
      check(pooling != Pooling.CLS || maxLength >= 2, "maxLength (" + maxLength
          + ") must be >= 2 with cls pooling: the CLS id takes position 0");
      return new ModelSpec(this);
    }

    /**
     * Sizes against what TensorFlow and the machine hold (SizeLimits), before the per-layer checks
     * below loop over the layers: {@code "layers": 2000000000} is refused here in milliseconds.
     */
    private void checkSizes() {
      try {
        SizeLimits.checkElements("vocabSize", vocabSize, "embedding table (vocabSize, width)", vocabSize, width);
        SizeLimits.checkElements("maxLength", maxLength, "activations of one row (maxLength, width)", maxLength, width);
        SizeLimits.checkElements("maxLength", maxLength, "MLP activations of one row (maxLength, hiddenWidth)",
            maxLength, hiddenWidth);
        SizeLimits.checkElements("hiddenWidth", hiddenWidth, "MLP weight (width, hiddenWidth)", width, hiddenWidth);
        SizeLimits.checkElements("width", width, "attention weight (width, width)", width, width);
        // a layer's parameters: Q, K, V, output (4 D^2), the MLP (2 D F), the dynamic projection
        // (D, H r) of long-short attention, biases and LayerNorms (about 10 D)
        long perLayer = 4L * width * width + 2L * width * hiddenWidth
            + (long) width * attention.heads() * Math.max(0, attention.rank()) + 10L * width;
        long blocks = tiedLayers ? 1 : layers;
        long parameters = SizeLimits.plus(SizeLimits.times(blocks, perLayer),
            (long) vocabSize * width + (long) maxLength * width + (long) width * Math.max(classes, 0));
        long bytes = SizeLimits.times(parameters, 4);
        String what = String.format(java.util.Locale.ROOT, "the parameters (about %.3g float32 values)", (double) parameters);
        long layersPart = SizeLimits.times(blocks, perLayer);
        if (layersPart >= (long) vocabSize * width && layersPart >= (long) maxLength * width) {
          SizeLimits.checkMachineMemory("layers", layers, what, bytes);
        } else if ((long) vocabSize >= maxLength) {
          SizeLimits.checkMachineMemory("vocabSize", vocabSize, what, bytes);
        } else {
          SizeLimits.checkMachineMemory("maxLength", maxLength, what, bytes);
        }
        // one row's activations, kept for the backward pass: per layer and position about 12 D
        // (projections, residuals, LayerNorms), F (the MLP) and H (3 w + r) attention scores
        long perPosition = 12L * width + hiddenWidth
            + (long) attention.heads() * (3L * Math.max(0, attention.window()) + Math.max(0, attention.rank()));
        SizeLimits.checkMachineMemory("maxLength", maxLength, "one row's activations (about " + perPosition
            + " float32 values per position and layer)", SizeLimits.elements(maxLength, layers, perPosition, 4));
        // the graph itself (ops, their Java and native objects): about 256 KiB per layer
        SizeLimits.checkHeap("layers", layers, "the graph's layers (about 256 KiB each)", SizeLimits.times(layers, 256 << 10));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ModelSpec: " + e.getMessage(), e);
      }
    }

    private static void positive(int value, String field, int min) {
      check(value != UNSET, field + " is required (set" + Character.toUpperCase(field.charAt(0))
          + field.substring(1) + ")");
      check(value >= min, field + " (" + value + ") must be >= " + min);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("ModelSpec: " + message);
      }
    }
  }
}
