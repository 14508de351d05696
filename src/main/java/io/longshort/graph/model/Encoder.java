package io.longshort.graph.model;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.Embeddings;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Recomputation;
import io.longshort.graph.core.Shapes;
import io.longshort.graph.attention.TransformerBlock;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' {@code Model}: embeddings, the blocks ({@code transformer_0..L-1}, or one tied
 * {@code transformer}), the learned {@code cls_embed} where the pooling uses one, and the final
 * {@code norm}. The output is norm(x) * mask (B, N, D), or norm(cls) (B, 1, D) when a CLS vector
 * ran through the layers.
 *
 * <p>Letters: B batch, N length, D width.
 */
public final class Encoder<T extends TFloating> {
  private final GraphScope<T> s;
  private final ModelSpec spec;
  private final Embeddings<T> embeddings;
  private final Operand<T> clsEmbed;
  private final List<TransformerBlock<T>> blocks = new ArrayList<>();
  private final LayerNorm<T> norm;
  private final Dropout dropout;
  /** Rebuilds each block's activations in the backward pass, or null: kept from the forward pass. */
  private final Recomputation recompute;

  public Encoder(GraphScope<T> s, ModelSpec spec, Dropout dropout) {
    this(s, spec, dropout, null);
  }

  /** @param recompute null, or how each block is recomputed in the backward pass (training graphs) */
  public Encoder(GraphScope<T> s, ModelSpec spec, Dropout dropout, Recomputation recompute) {
    this.s = s;
    this.spec = spec;
    this.dropout = dropout;
    this.recompute = recompute;
    embeddings = new Embeddings<>(s.child("embeddings"), spec.vocabSize(), spec.width(), spec.maxLength(),
        spec.positions());
    boolean learnedCls = spec.pooling() == Pooling.CLS_TOKEN || spec.pooling() == Pooling.CLS_LAST_LAYER;
    clsEmbed = learnedCls ? s.parameter("cls_embed", new long[] {1, 1, spec.width()}, Initializer.zeros()) : null;
    if (spec.tiedLayers()) {
      // one block for every layer; its attention is the last layer's, the one that may take a CLS vector
      blocks.add(new TransformerBlock<>(s.child("transformer"), spec.attentionFor(spec.layers() - 1),
          spec.hiddenWidth(), spec.layerNormEpsilon(), dropout));
    } else {
      for (int i = 0; i < spec.layers(); i++) {
        blocks.add(new TransformerBlock<>(s.child("transformer_" + i), spec.attentionFor(i), spec.hiddenWidth(),
            spec.layerNormEpsilon(), dropout));
      }
    }
    norm = LayerNorm.create(s.child("norm"), spec.width(), spec.layerNormEpsilon());
  }

  public Embeddings<T> embeddings() {
    return embeddings;
  }

  /**
   * @param ids (B, N') int32 token ids, N' = the encoder length (CLS id first for cls pooling)
   * @param mask (B, N') 1 token, 0 padding
   * @return (B, N', D) norm(x) * mask, or (B, 1, D) norm(cls)
   */
  public Operand<T> apply(Operand<TInt32> ids, Operand<T> mask) {
    Ops tf = s.tf();
    int n = Shapes.staticDim(ids, 1, "input_ids");
    // (B, N, D)
    Operand<T> x = dropout.apply(s, embeddings.apply(ids));
    Operand<T> cls = spec.pooling() == Pooling.CLS_TOKEN ? broadcastCls(x) : null;
    for (int i = 0; i < spec.layers(); i++) {
      if (spec.pooling() == Pooling.CLS_LAST_LAYER && i == spec.layers() - 1) {
        cls = broadcastCls(x);
      }
      TransformerBlock<T> block = blocks.get(spec.tiedLayers() ? 0 : i);
      if (cls != null && i == spec.layers() - 1) {
        // the last layer's token rows are discarded: only its CLS row is built past the attention;
        // with recomputation it is the step's last segment, kept plain
        cls = block.applyClsRow(x, mask, cls);
        break;
      }
      x = recompute == null ? block.apply(x, mask, cls) : recomputed(i, block, x, mask, cls);
      if (cls != null) {
        // the CLS row leaves the sequence again: (B, 1, D) and (B, N, D)
        cls = Shapes.slice(tf, x, new long[] {0, 0, 0}, new long[] {-1, 1, spec.width()});
        x = Shapes.slice(tf, x, new long[] {0, 1, 0}, new long[] {-1, n, spec.width()});
      }
    }
    if (cls != null) {
      return norm.apply(cls);
    }
    return tf.math.mul(norm.apply(x), tf.expandDims(mask, tf.constant(2)));
  }

  /**
   * Block i through {@link #recompute}: one segment ({@link Recomputation.Segments#BLOCKS}), or two
   * ({@link Recomputation.Segments#HALVES}), its attention half (segment 2i: x (or [cls ; x]) +
   * dropout(mha(norm1(x)))) and its MLP half (segment 2i + 1), each rebuilt in the backward pass from
   * its own input, so that only one half's activations are alive at a time. The step's last segment is
   * kept plain ({@link Recomputation#applyToBlock}): the last block (or its MLP half), or, with a CLS
   * row, the last layer (built in {@link #apply}). A rebuilt segment numbers its dropout sites from
   * where it first left off, so it drops the same units.
   */
  @SuppressWarnings("unchecked")
  private Operand<T> recomputed(int i, TransformerBlock<T> block, Operand<T> x, Operand<T> mask, Operand<T> cls) {
    String name = spec.tiedLayers() ? "transformer" : "transformer_" + i;
    boolean clsRowLast = spec.pooling() == Pooling.CLS_TOKEN || spec.pooling() == Pooling.CLS_LAST_LAYER;
    AttentionSpec attention = spec.attentionFor(spec.tiedLayers() ? spec.layers() - 1 : i);
    // differentiable: x and cls; then the mask
    List<Operand<?>> in = new ArrayList<>(List.of(x));
    if (cls != null) {
      in.add(cls);
    }
    int differentiable = in.size();
    in.add(mask);
    if (recompute.segments() == Recomputation.Segments.BLOCKS) {
      // (B, N, D), or (B, 1 + N, D) with cls
      return segment(name, name, i, spec.layers(), in, differentiable, (b, a) -> b.apply((Operand<T>) a.get(0),
          (Operand<T>) a.get(differentiable), cls != null ? (Operand<T>) a.get(1) : null), block, attention);
    }
    int segments = clsRowLast ? 2 * spec.layers() - 1 : 2 * spec.layers();
    // (B, N, D), or (B, 1 + N, D) with cls
    Operand<T> h = segment(name, name + "_attention", 2 * i, segments, in, differentiable, (b, a) -> b.applyAttention(
        (Operand<T>) a.get(0), (Operand<T>) a.get(differentiable), cls != null ? (Operand<T>) a.get(1) : null),
        block, attention);
    return segment(name, name + "_mlp", 2 * i + 1, segments, new ArrayList<>(List.of(h)), 1,
        (b, a) -> b.applyMlp((Operand<T>) a.get(0)), block, attention);
  }

  /**
   * One segment of a block through {@link #recompute}: {@code half} applied to {@code block} in the
   * forward pass, and to a block rebuilt from the gradient function's parameters, with the dropout
   * seed and rate (when active, appended to {@code in}) numbering from this segment's first site.
   */
  private Operand<T> segment(String scopeName, String name, int index, int count, List<Operand<?>> in, int differentiable,
      java.util.function.BiFunction<TransformerBlock<T>, List<Output<?>>, Operand<T>> half, TransformerBlock<T> block,
      AttentionSpec attention) {
    int sitesBefore = dropout.sites();
    int seedAt = in.size();
    if (dropout.active()) {
      in.add(dropout.seed());
      in.add(dropout.rate());
    }
    return recompute.applyToBlock(s.child(scopeName), name, index, count, in, differentiable, (bs, a) -> {
      if (bs.parameters() == s.parameters()) {
        // the first build: this graph's block and dropout
        return half.apply(block, a);
      }
      Dropout d = dropout.active()
          ? Dropout.continuing(a.get(seedAt).expect(TInt64.class), a.get(seedAt + 1).expect(TFloat32.class), sitesBefore)
          : Dropout.none();
      return half.apply(new TransformerBlock<>(bs, attention, spec.hiddenWidth(), spec.layerNormEpsilon(), d), a);
    });
  }

  /** cls_embed (1, 1, D) repeated over the batch: (B, 1, D). */
  private Operand<T> broadcastCls(Operand<T> x) {
    Ops tf = s.tf();
    Operand<T> firstRow = Shapes.slice(tf, x, new long[] {0, 0, 0}, new long[] {-1, 1, spec.width()});
    return tf.math.add(tf.zerosLike(firstRow), clsEmbed);
  }
}
