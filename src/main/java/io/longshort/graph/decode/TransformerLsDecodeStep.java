package io.longshort.graph.decode;

import io.longshort.graph.attention.ChunkedLongShortAttention;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' LM's decoding state and its transitions as graph values, shared by the decoder that
 * keeps the state in variables ({@link TransformerLsDecoder}) and the in-graph generation loop that
 * carries it as loop variables ({@link TransformerLsGeneration}). Per layer: the cache (B, L, D),
 * its summary (compressed chunks' keys and values (B, H, Nm*R, K), window tail (B, W, D)), and the
 * current block's layer inputs, raw keys, values (B, Mp, D) and dconv_1 scores (B, Mp, H*R).
 *
 * <p>Letters: B batch, Mp padded block, L cache length, D width, H heads, K head width, R rank, W window.
 */
final class TransformerLsDecodeStep<T extends TFloating> {
  /** One state tensor: name and shape. */
  record Slot(String name, long[] shape) {}

  /** A step's log-probs (B, V) and the state after it. */
  record Step<T extends TFloating>(Operand<T> logprobs, Map<String, Operand<T>> state) {}

  private final TransformerLsSpec spec;
  private final TransformerLsLayers<T> layers;
  private final long batch;
  private final int padded;
  private final Class<T> dtype;

  TransformerLsDecodeStep(TransformerLsSpec spec, TransformerLsLayers<T> layers, long batch, int padded, Class<T> dtype) {
    this.spec = spec;
    this.layers = layers;
    this.batch = batch;
    this.padded = padded;
    this.dtype = dtype;
  }

  List<Slot> slots() {
    int d = spec.width();
    int h = spec.heads();
    int k = spec.headWidth();
    int summary = spec.memLen() / spec.chunkSize() * spec.chunkRank();
    List<Slot> out = new ArrayList<>();
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      out.add(new Slot(p + "cache", new long[] {batch, spec.memLen(), d}));
      out.add(new Slot(p + "cache_keys", new long[] {batch, h, summary, k}));
      out.add(new Slot(p + "cache_values", new long[] {batch, h, summary, k}));
      out.add(new Slot(p + "tail_keys", new long[] {batch, spec.window(), d}));
      out.add(new Slot(p + "tail_values", new long[] {batch, spec.window(), d}));
      out.add(new Slot(p + "block_inputs", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_keys", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_values", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_scores", new long[] {batch, padded, (long) h * spec.chunkRank()}));
    }
    return out;
  }

  /** The state of a new stream: the zero cache and its summary, zero block buffers. */
  Map<String, Operand<T>> zero(Ops tf) {
    Map<String, Operand<T>> state = new LinkedHashMap<>();
    for (Slot slot : slots()) {
      state.put(slot.name(), zeros(tf, slot.shape()));
    }
    for (int i = 0; i < spec.layers(); i++) {
      state.putAll(summary(i, state.get("layer" + i + ".cache")));
    }
    return state;
  }

  /** The block rolled into the cache: cache := last L of [cache ; block inputs], and its summary. */
  Map<String, Operand<T>> roll(Ops tf, Map<String, Operand<T>> state) {
    int l = spec.memLen();
    int d = spec.width();
    Map<String, Operand<T>> next = new LinkedHashMap<>(state);
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      Operand<T> cache = state.get(p + "cache");
      Operand<T> in = state.get(p + "block_inputs");
      Operand<T> rolled = l > padded
          ? Shapes.concat(tf, 1, List.of(Shapes.slice(tf, cache, new long[] {0, padded, 0}, new long[] {-1, l - padded, d}), in))
          : Shapes.slice(tf, in, new long[] {0, padded - l, 0}, new long[] {-1, l, d});
      next.putAll(summary(i, rolled));
    }
    return next;
  }

  /** Layer i's cache and its summary. */
  private Map<String, Operand<T>> summary(int i, Operand<T> cache) {
    String p = "layer" + i + ".";
    TransformerLsLayers.Layer<T> layer = layers.layer(i);
    ChunkedLongShortAttention.CacheSummary<T> s = layer.attention().summarise(layer.normaliseCache(cache));
    Map<String, Operand<T>> out = new LinkedHashMap<>();
    out.put(p + "cache", cache);
    out.put(p + "cache_keys", s.keys());
    out.put(p + "cache_values", s.values());
    out.put(p + "tail_keys", s.tailKeys());
    out.put(p + "tail_values", s.tailValues());
    return out;
  }

  /** ids (B) at block position t -> log-probs (B, V), the position's rows written into the block buffers. */
  Step<T> step(Ops tf, Map<String, Operand<T>> state, Operand<TInt32> ids, Operand<TInt32> t) {
    Map<String, Operand<T>> next = new LinkedHashMap<>(state);
    // (1, Mp, 1): 1 at row t
    Operand<T> at = Shapes.reshape(tf, tf.oneHot(t, tf.constant(padded), tf.constant(dtype, 1.0),
        tf.constant(dtype, 0.0)), 1, padded, 1);
    Operand<T> posWindow = layers.windowPositions();
    Operand<T> posChunks = layers.chunkPositions(padded);
    // (B, 1, D)
    Operand<T> h = layers.embed(Shapes.reshape(tf, ids, -1, 1));
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      TransformerLsLayers.Layer<T> layer = layers.layer(i);
      next.put(p + "block_inputs", write(tf, state.get(p + "block_inputs"), at, h));
      ChunkedLongShortAttention.CacheSummary<T> summary = new ChunkedLongShortAttention.CacheSummary<>(
          state.get(p + "cache_keys"), state.get(p + "cache_values"), state.get(p + "tail_keys"),
          state.get(p + "tail_values"));
      h = layer.apply(h, x -> {
        ChunkedLongShortAttention.Row<T> row = layer.attention().row(x);
        Operand<T> keys = write(tf, state.get(p + "block_keys"), at, row.key());
        Operand<T> values = write(tf, state.get(p + "block_values"), at, row.value());
        Operand<T> scores = write(tf, state.get(p + "block_scores"), at, row.scores());
        next.put(p + "block_keys", keys);
        next.put(p + "block_values", values);
        next.put(p + "block_scores", scores);
        return layer.attention().applyOne(x, t, summary, keys, values, scores, posWindow, posChunks);
      });
    }
    return new Step<>(tf.nn.logSoftmax(layers.output(h)), next);
  }

  /** buffer (B, Mp, X) with row t (mask {@code at}) replaced by {@code row} (B, 1, X). */
  private static <T extends TFloating> Operand<T> write(Ops tf, Operand<T> buffer, Operand<T> at, Operand<T> row) {
    return tf.math.add(tf.math.mul(buffer, tf.math.sub(tf.onesLike(at), at)), tf.math.mul(row, at));
  }

  private Operand<T> zeros(Ops tf, long[] shape) {
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = Math.toIntExact(shape[i]);
    }
    return tf.fill(tf.constant(dims), tf.constant(dtype, 0.0));
  }
}
