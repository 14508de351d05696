package io.longshort.spec;

/**
 * Model surgery by name: a model's dropout and its attention (kind, window, rank, landmarks, ...)
 * changed where asked, everything else kept. What {@code train}'s options and a training setting
 * ask for, callable from Java:
 *
 * <pre>{@code
 * ModelSpec nystrom = ModelOverrides.builder().optAttention(AttentionKind.NYSTROM).optLandmarks(64)
 *     .optDropout(0.0).build().applyTo(ModelConfigs.load("lra_listops"));
 * }</pre>
 *
 * Each value is optional: one not set leaves the model's as it is. A new attention kind starts
 * from {@link AttentionDefaults#of}'s defaults for its required fields (see
 * {@link ModelSpec#withAttention(AttentionKind, java.util.function.Consumer)}, which this calls).
 */
public final class ModelOverrides {
  private final Builder b;

  private ModelOverrides(Builder b) {
    this.b = b.copy();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these values, to change some. */
  public Builder toBuilder() {
    return b.copy();
  }

  /** The attention kind asked for, or null: the model's. */
  public AttentionKind attention() {
    return b.attention;
  }

  public Double dropout() {
    return b.dropout;
  }

  public Integer window() {
    return b.window;
  }

  public Integer rank() {
    return b.rank;
  }

  /** Whether any attention value is set (otherwise the model's attention stays as it is). */
  public boolean changesAttention() {
    return b.attention != null || b.window != null || b.rank != null || b.landmarks != null || b.convKernel != null
        || b.features != null || b.featureMap != null || b.globalTokens != null || b.blockSize != null
        || b.randomBlocks != null;
  }

  /** {@code spec} with these changes: dropout first, then the attention in one step (kind, then its fields). */
  public ModelSpec applyTo(ModelSpec spec) {
    ModelSpec out = b.dropout != null ? spec.withDropout(b.dropout) : spec;
    if (!changesAttention()) {
      return out;
    }
    return out.withAttention(b.attention, a -> {
      if (b.window != null) {
        a.setWindow(b.window);
      }
      if (b.rank != null) {
        a.setRank(b.rank);
      }
      if (b.landmarks != null) {
        a.setLandmarks(b.landmarks);
      }
      if (b.convKernel != null) {
        a.optConvKernel(b.convKernel);
      }
      if (b.features != null) {
        a.setFeatures(b.features);
      }
      if (b.featureMap != null) {
        a.optFeatureMap(b.featureMap);
      }
      if (b.blockSize != null) {
        a.setBlockSize(b.blockSize);
      }
      if (b.randomBlocks != null) {
        a.optRandomBlocks(b.randomBlocks);
      }
      if (b.globalTokens != null) {
        a.optGlobalTokens(b.globalTokens);
      }
    });
  }

  /** The values to change, each optional (null: not changed); validated where they are applied. */
  public static final class Builder {
    private Double dropout;
    private AttentionKind attention;
    private Integer window;
    private Integer rank;
    private Integer landmarks;
    private Integer convKernel;
    private Integer features;
    private FeatureMap featureMap;
    private Integer globalTokens;
    private Integer blockSize;
    private Integer randomBlocks;

    private Builder() {}

    private Builder copy() {
      Builder c = new Builder();
      c.dropout = dropout;
      c.attention = attention;
      c.window = window;
      c.rank = rank;
      c.landmarks = landmarks;
      c.convKernel = convKernel;
      c.features = features;
      c.featureMap = featureMap;
      c.globalTokens = globalTokens;
      c.blockSize = blockSize;
      c.randomBlocks = randomBlocks;
      return c;
    }

    /** Every dropout site's probability. */
    public Builder optDropout(Double dropout) {
      this.dropout = dropout;
      return this;
    }

    /** Every layer's attention kind. */
    public Builder optAttention(AttentionKind kind) {
      this.attention = kind;
      return this;
    }

    /** The long-short (or Longformer) window. */
    public Builder optWindow(Integer window) {
      this.window = window;
      return this;
    }

    /** The long-short rank r (Linformer: its projected length k). */
    public Builder optRank(Integer rank) {
      this.rank = rank;
      return this;
    }

    /** Nystrom's landmarks. */
    public Builder optLandmarks(Integer landmarks) {
      this.landmarks = landmarks;
      return this;
    }

    /** Linformer's and Nystrom's depth-wise value convolution (odd; 0 = none). */
    public Builder optConvKernel(Integer convKernel) {
      this.convKernel = convKernel;
      return this;
    }

    /** Performer's random features. */
    public Builder optFeatures(Integer features) {
      this.features = features;
      return this;
    }

    /** Performer's feature map. */
    public Builder optFeatureMap(FeatureMap featureMap) {
      this.featureMap = featureMap;
      return this;
    }

    /** Longformer's leading positions that attend globally. */
    public Builder optGlobalTokens(Integer globalTokens) {
      this.globalTokens = globalTokens;
      return this;
    }

    /** BigBird's block size. */
    public Builder optBlockSize(Integer blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** BigBird's random key blocks per query block. */
    public Builder optRandomBlocks(Integer randomBlocks) {
      this.randomBlocks = randomBlocks;
      return this;
    }

    public ModelOverrides build() {
      return new ModelOverrides(this);
    }
  }
}
