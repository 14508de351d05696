package io.longshort.graph.decode;

import io.longshort.graph.core.Embeddings;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.PreLnBlock;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Positions;
import io.longshort.spec.Task;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * A causal language model ({@code graph.model.ModelGraph}'s LANGUAGE_MODEL forward pass) one token at a time:
 * a step takes the ids at position t and the cache of positions 0..t-1 and gives the logits of
 * position t (the distribution of the token at t+1), the same as row t of the full graph run on
 * the prefix, and the cache with t written in. Shapes are static apart from the batch, for a
 * fixed capacity C (the most positions a sequence may reach), so a step compiles with XLA and
 * runs as the body of a While loop ({@link Generation}).
 *
 * <p>The parameters are created under the same names as the full graph's ({@code model.*},
 * {@code lm_head.*}), so in a function body ({@link io.longshort.graph.core.Parameters#forFunctionBody}) they are the
 * model's variables, and in a graph of its own with the same seed they start from the same values.
 *
 * <p>Letters: B batch, D width, F hidden width, V vocabulary, C capacity.
 */
final class IncrementalDecoder<T extends TFloating> {
  private final GraphScope<T> s;
  private final ModelSpec spec;
  private final int capacity;
  private final Embeddings<T> embeddings;
  private final List<Block<T>> blocks = new ArrayList<>();
  private final LayerNorm<T> norm;
  private final Linear<T> lmHead;
  private final DecodeCache cache;

  /** One layer: the encoder's pre-LN block and parameter names around a cached attention step. */
  private record Block<T extends TFloating>(PreLnBlock<T> block, CachedAttention<T> mha) {}

  /**
   * @param root the graph's (or function body's) root scope
   * @param capacity C, the most positions a sequence reaches (prompt and generated tokens)
   */
  public IncrementalDecoder(GraphScope<T> root, ModelSpec spec, int capacity) {
    check(spec, capacity);
    this.s = root;
    this.spec = spec;
    this.capacity = capacity;
    GraphScope<T> model = root.child("model");
    embeddings = new Embeddings<>(model.child("embeddings"), spec.vocabSize(), spec.width(), spec.maxLength(),
        spec.positions());
    int distinct = spec.tiedLayers() ? 1 : spec.layers();
    for (int i = 0; i < distinct; i++) {
      GraphScope<T> b = model.child(spec.tiedLayers() ? "transformer" : "transformer_" + i);
      AttentionSpec a = spec.attentionFor(spec.tiedLayers() ? spec.layers() - 1 : i);
      PreLnBlock<T> block = PreLnBlock.authors(b, spec.width(), spec.hiddenWidth(), spec.layerNormEpsilon(),
          Dropout.none());
      CachedAttention<T> mha = a.kind() == AttentionKind.CAUSAL_LONG_SHORT
          ? new CachedLongShortAttention<>(b.child("mha"), a, capacity)
          : new CachedFullAttention<>(b.child("mha"), a, capacity);
      blocks.add(new Block<>(block, mha));
    }
    norm = LayerNorm.create(model.child("norm"), spec.width(), spec.layerNormEpsilon());
    lmHead = spec.tiedEmbeddings() ? null : Linear.create(root.child("lm_head"), spec.width(), spec.vocabSize());
    List<DecodeCache.Entry> entries = new ArrayList<>();
    for (int i = 0; i < spec.layers(); i++) {
      entries.addAll(block(i).mha().cacheEntries("layer" + i + "/"));
    }
    cache = new DecodeCache(entries);
  }

  private static void check(ModelSpec spec, int capacity) {
    if (spec.task() != Task.LANGUAGE_MODEL) {
      throw new IllegalArgumentException("incremental decoding needs a language_model, got task '"
          + spec.task().jsonName() + "'");
    }
    for (int i = 0; i < spec.layers(); i++) {
      AttentionKind kind = spec.attentionFor(i).kind();
      if (kind != AttentionKind.CAUSAL_LONG_SHORT && kind != AttentionKind.CAUSAL_FULL) {
        throw new IllegalArgumentException("incremental decoding needs causal attention in every layer; layer " + i
            + " has '" + kind.jsonName() + "' (allowed: causal_long_short, causal_full)");
      }
    }
    int most = spec.positions() == Positions.LEARNED ? spec.maxLength() : Integer.MAX_VALUE / 2;
    if (capacity < 1 || capacity > most) {
      throw new IllegalArgumentException("decode capacity (" + capacity + ") must be in 1.." + most
          + (spec.positions() == Positions.LEARNED ? " (maxLength: the learned positions the model knows)" : ""));
    }
  }

  private Block<T> block(int layer) {
    return blocks.get(spec.tiedLayers() ? 0 : layer);
  }

  public DecodeCache cache() {
    return cache;
  }

  public Class<T> dtype() {
    return s.dtype();
  }

  public int capacity() {
    return capacity;
  }

  public ModelSpec spec() {
    return spec;
  }

  /** The logits of one position and the cache after it. */
  public record Step<T extends TFloating>(Operand<T> logits, List<Operand<T>> cache) {}

  /**
   * @param ids (B) int32, the tokens at position t
   * @param t scalar int32 position, 0 &lt;= t &lt; C, the same for every row
   * @param cache the entries of {@link #cache()} after positions 0..t-1 (zeros for t = 0)
   * @return logits (B, V) and the cache after position t
   */
  public Step<T> step(Operand<TInt32> ids, Operand<TInt32> t, List<Operand<T>> cache) {
    if (cache.size() != this.cache.size()) {
      throw new IllegalArgumentException("cache has " + cache.size() + " tensors; this decoder's has "
          + this.cache.size());
    }
    Ops tf = s.tf();
    // (B, D)
    Operand<T> x = embeddings.applyAt(ids, t);
    List<Operand<T>> next = new ArrayList<>();
    int at = 0;
    for (int i = 0; i < spec.layers(); i++) {
      Block<T> b = block(i);
      int n = b.mha().cacheEntries("").size();
      List<Operand<T>> layerCache = cache.subList(at, at + n);
      at += n;
      // (B, D): the step's attention output goes through the block, its cache into `next`
      x = b.block().apply(x, normed -> {
        CachedAttention.Step<T> a = b.mha().step(normed, t, layerCache);
        next.addAll(a.cache());
        return a.output();
      });
    }
    // (B, D) -> (B, V)
    Operand<T> y = norm.apply(x);
    Operand<T> logits = lmHead != null ? lmHead.apply(y)
        : tf.linalg.matMul(y, embeddings.table(), MatMul.transposeB(true));
    return new Step<>(logits, next);
  }
}
