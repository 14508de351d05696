package io.longshort.graph.vision;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Precision;
import io.longshort.graph.core.Shapes;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.PreLnBlock;
import io.longshort.graph.core.Recomputation;
import io.longshort.graph.attention.TransformerBlock;
import io.longshort.graph.model.GraphModel;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.ServingSignatures;
import io.longshort.graph.model.TrainableModel;
import io.longshort.spec.VisionSpec;
import io.longshort.spec.VisionStage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * The graph of a {@link VisionSpec} image classifier, parameters named as the authors'
 * {@code MsViT} state_dict: {@code layer{i}.0} the patch embedding of stage i, then per block
 * {@code layer{i}.{2j+1}} (norm, attn) and {@code layer{i}.{2j+2}} (norm, mlp.fc1, mlp.fc2), and
 * {@code norm}, {@code head}. Between stages the global tokens are dropped and the patches form
 * the next stage's grid; each stage's patch embedding adds its own. Checked against the authors'
 * {@code MsViT} by VisionGoldenTest.
 *
 * <p>Input {@code images} float32 (B, I, I, Ch), NHWC, already normalised; output {@code logits}
 * (B, classes). A training graph adds {@code labels} int32 (B), {@code loss} (mean cross-entropy,
 * float32 at least) and {@code hits} (B, 1 where the arg-max is the label).
 *
 * <p>A training graph may recompute its blocks ({@link Builder#optRecompute}): each block's
 * activations but the last block's are rebuilt in the backward pass from its input
 * ({@link Recomputation#applyToBlock}).
 *
 * <p>Letters: B batch, I image side, Ch channels, G global tokens, X grid side, D width.
 * Stochastic depth and dropout, which the authors use on ImageNet, are not built.
 */
public final class VisionModelGraph<T extends TFloating> extends GraphModel<T>
    implements TrainableModel<T>, ServableModel<T> {
  private final VisionSpec spec;
  private final Parameters<T> params;
  private final Placeholder<TFloat32> images;
  private final Operand<T> logits;
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  private Placeholder<TInt32> labels;
  private Operand<?> loss;
  /** Rebuilds each block's activations in the backward pass, or null ({@link Builder#optRecompute}). */
  private final Recomputation recomputation;

  private VisionModelGraph(VisionSpec spec, Class<T> dtype, long batch, long seed, boolean training,
      Recomputation recomputation) {
    this.spec = spec;
    this.recomputation = recomputation;
    try {
      params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      images = tf.withName("images").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(batch, spec.imageSize(), spec.imageSize(), spec.channels())));
      logits = tf.withName("logits").identity(forward(root, tf.dtypes.cast(images, dtype)));
      outputs.put("logits", logits);
      if (training) {
        labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch)));
        loss = addLoss(tf, Precision.widen(tf, logits));
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** An inference graph; {@code batch} -1 takes any batch size. */
  public static <T extends TFloating> VisionModelGraph<T> build(VisionSpec spec, Class<T> dtype, long batch,
      long seed) {
    return builder(spec).setDtype(dtype).setBatch(batch).optSeed(seed).build();
  }

  /** A graph with labels, loss and hits. */
  public static <T extends TFloating> VisionModelGraph<T> buildForTraining(VisionSpec spec, Class<T> dtype,
      long batch, long seed) {
    return builder(spec).setDtype(dtype).setBatch(batch).optSeed(seed).optTraining(true).build();
  }

  /** A graph of {@code spec}, configured by the builder's options (dtype and batch required). */
  public static Builder builder(VisionSpec spec) {
    return new Builder(spec);
  }

  /** Whether each block's activations are rebuilt in the backward pass ({@link Builder#optRecompute}). */
  public boolean recompute() {
    return recomputation != null;
  }

  private Operand<T> forward(GraphScope<T> root, Operand<T> image) {
    Ops tf = root.tf();
    // (B, I, I, Ch) for stage 1, then (B, X, X, D) of the previous stage
    Operand<T> grid = image;
    int side = spec.imageSize();
    Operand<T> x = null;
    int blocks = spec.stages().stream().mapToInt(VisionStage::depth).sum();
    int blockIndex = 0;
    for (int i = 0; i < spec.stages().size(); i++) {
      VisionStage st = spec.stages().get(i);
      GraphScope<T> layer = root.child("layer" + (i + 1));
      int g = st.globalTokens();
      int d = st.width();
      // (B, G + X*X, D)
      x = new PatchEmbedding<>(layer.child("0"), spec.inputWidth(i), st.patchSize(), d, g,
          spec.layerNormEpsilon(), st.absolutePositions(), spec.gridSide(i)).apply(grid, side);
      side = spec.gridSide(i);
      int hidden = VisionSpec.hiddenWidth(d, spec.mlpRatio());
      for (int j = 0; j < st.depth(); j++) {
        int index = j;
        int gridSide = side;
        Class<T> type = x.type();
        // (B, G + X*X, D); recomputed, the block's one input is x (the model has no dropout or drop-path
        // whose seed and rate it would take besides), rebuilt in a scope named as `layer`
        x = recomputation == null ? block(layer, st, index, hidden, gridSide, x)
            : recomputation.applyToBlock(layer, "layer" + (i + 1) + "_block" + j, blockIndex, blocks, List.of(x), 1,
                (bs, a) -> block(bs, st, index, hidden, gridSide, a.get(0).expect(type)));
        blockIndex++;
      }
      if (i + 1 < spec.stages().size()) {
        // drop the global tokens: (B, X, X, D)
        Operand<T> patches = Shapes.slice(tf, x, new long[] {0, g, 0}, new long[] {-1, (long) side * side, d});
        grid = Shapes.reshape(tf, patches, -1, side, side, d);
      }
    }
    int d = spec.outputWidth();
    Operand<T> normed = LayerNorm.create(root.child("norm"), d, spec.layerNormEpsilon()).apply(x);
    // (B, D): the first global token, or the mean over all rows (global tokens included, as MsViT
    // with avg_pool; only the patches when the last stage has none)
    Operand<T> pooled = spec.poolsGlobalToken()
        ? Shapes.reshape(tf, Shapes.slice(tf, normed, new long[] {0, 0, 0}, new long[] {-1, 1, d}), -1, d)
        : tf.math.mean(normed, tf.constant(1), Mean.keepDims(false));
    return Linear.create(root.child("head"), d, spec.classes()).apply(pooled);
  }

  /**
   * Options of a {@link VisionModelGraph}: its dtype and batch (-1: any), the parameters' seed,
   * training (labels, loss and hits) and recomputation.
   */
  public static final class Builder {
    private final VisionSpec spec;
    private Class<? extends TFloating> dtype;
    private Long batch;
    private long seed;
    private boolean training;
    private Recomputation recomputation;

    private Builder(VisionSpec spec) {
      this.spec = java.util.Objects.requireNonNull(spec, "spec");
    }

    public Builder setDtype(Class<? extends TFloating> dtype) {
      this.dtype = dtype;
      return this;
    }

    /** The batch the images placeholder takes; -1 for any. */
    public Builder setBatch(long batch) {
      this.batch = batch;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Adds {@code labels}, {@code loss}, {@code losses} and {@code hits}. */
    public Builder optTraining(boolean training) {
      this.training = training;
      return this;
    }

    /**
     * Gradient checkpointing (the authors' {@code --attention_grad_checkpointing}, as
     * {@link ModelGraph.Builder#optRecompute}): a training graph keeps only each block's input, and
     * the backward pass rebuilds the block's activations from it, all but the last block's
     * ({@link Recomputation#applyToBlock}; {@code recomputation}:
     * {@code io.longshort.compile.Recompute.INSTANCE}; null: off). The same gradients as without, in
     * less memory and more time. Training graphs only.
     */
    public Builder optRecompute(Recomputation recomputation) {
      this.recomputation = recomputation;
      return this;
    }

    /** The graph, in the dtype given to {@link #setDtype} (the caller names it: {@code VisionModelGraph<TFloat32>}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public <T extends TFloating> VisionModelGraph<T> build() {
      if (dtype == null || batch == null) {
        throw new IllegalStateException("VisionModelGraph.Builder: " + (dtype == null ? "dtype" : "batch")
            + " is required (setDtype, setBatch)");
      }
      if (batch == 0 || batch < -1) {
        throw new IllegalArgumentException("VisionModelGraph.Builder: batch (" + batch + ") must be >= 1, or -1 for any");
      }
      if (recomputation != null && !training) {
        throw new IllegalArgumentException("VisionModelGraph.Builder: recompute is for training graphs"
            + " (optTraining(true))");
      }
      if (recomputation != null) {
        recomputation.requireWholeBlocks("VisionModelGraph.Builder: recompute rebuilds whole ViL blocks");
      }
      return new VisionModelGraph(spec, dtype, batch, seed, training, recomputation);
    }
  }

  /**
   * Block j of a stage, in the stage's scope {@code layer} (its parameters named as MsViT's:
   * {@code layer<i>.<2j+1>.{norm, attn.*}}, {@code layer<i>.<2j+2>.{norm, mlp.fc1, mlp.fc2}}).
   *
   * @param x (B, G + X*X, D)
   * @return (B, G + X*X, D)
   */
  private Operand<T> block(GraphScope<T> layer, VisionStage st, int j, int hidden,
      int gridSide, Operand<T> x) {
    GraphScope<T> attnBlock = layer.child(Integer.toString(2 * j + 1));
    GraphScope<T> mlpBlock = layer.child(Integer.toString(2 * j + 2));
    PreLnBlock<T> block = new PreLnBlock<>(attnBlock, attnBlock.child("norm"), mlpBlock.child("norm"),
        mlpBlock.child("mlp").child("fc1"), mlpBlock.child("mlp").child("fc2"), st.width(), hidden,
        spec.layerNormEpsilon(), Dropout.none());
    return block.apply(x, normed -> ImageAttention.apply(attnBlock.child("attn"), st.attention(), normed, gridSide,
        gridSide));
  }

  /** The classifier loss of {@link ModelGraph}: "loss", "losses" and "hits" in the outputs. */
  private <L extends TFloating> Operand<L> addLoss(Ops tf, Operand<L> wide) {
    return ModelGraph.lossOps(tf, wide, labels, outputs);
  }

  public VisionSpec spec() {
    return spec;
  }


  @Override
  public Parameters<T> parameters() {
    return params;
  }

  public Placeholder<TFloat32> images() {
    return images;
  }

  public Operand<T> logits() {
    return logits;
  }

  /** Labels of a training graph (null otherwise). */
  @Override
  public Placeholder<TInt32> labels() {
    return labels;
  }

  /** The mean loss of a training graph (null otherwise). */
  @Override
  public Operand<?> loss() {
    return loss;
  }

  /** 1 per example whose arg-max logit is its label (training graphs). */
  public Operand<?> hits() {
    return outputs.get("hits");
  }

  /** logits, and loss, losses and hits for training graphs. */
  @Override
  public Map<String, Operand<?>> outputs() {
    return outputs;
  }

  @Override
  public String specJson() {
    return spec.toJson();
  }

  /**
   * serving_default (logits, probabilities) and classify_ids (scores, classes; the name
   * {@code classify} is TF Serving's Classify API, which takes tf.Example), taking {@code images}.
   */
  @Override
  public synchronized Map<String, Signature> signatures() {
    return ServingSignatures.ofLogits(graph, logits, new LinkedHashMap<>(inputs()), true);
  }

  /** The model's inputs by name: {@code images}. */
  @Override
  public Map<String, Operand<?>> inputs() {
    return Map.of("images", images);
  }


  /** Logits (B, classes) row-major for images (B, I, I, Ch) row-major. */
  public double[] logits(long batch, float[] pixels) {
    try (Tensor t = imagesTensor(batch, pixels); var r = session().runner().feed(images, t).fetch(logits).run()) {
      return HostTensors.toDoubles(r.get(0));
    }
  }

  /** A float32 (B, I, I, Ch) tensor of row-major pixels. */
  public TFloat32 imagesTensor(long batch, float[] pixels) {
    return TFloat32.tensorOf(Shape.of(batch, spec.imageSize(), spec.imageSize(), spec.channels()),
        org.tensorflow.ndarray.buffer.DataBuffers.of(pixels, true, false));
  }

}
