package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.FanOut;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.TransformerLsSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' {@code ChunkedLSAttention} (autoregressive/model_lib/layer.py): long-short attention
 * over a block and the hidden-state cache of the previous blocks, with Transformer-XL relative
 * positions. Its parameters carry the authors' state_dict names: {@code proj_query}, {@code proj_key},
 * {@code proj_val}, {@code proj_out} (biases with use_bias), {@code dconv_1}, {@code r_net},
 * {@code r_net_chunk}, {@code r_r_bias}, {@code r_w_bias}, {@code dual_ln_dproj}, {@code dual_ln_win}.
 *
 * <p>A query at block position t sees (one softmax over both):
 * <ul>
 *   <li>the window: the W most recent positions over [last W cache positions ; block], itself
 *   included, keys/values {@code dual_ln_win(proj_key/proj_val(h))}, logits (q + r_w_bias).k +
 *   (q + r_r_bias).r_net(sinusoid of the distance);
 *   <li>the chunks: R vectors per head for every chunk of C positions of the cache, and for the
 *   block's chunks strictly before its own. The cache's hidden states are compressed per head
 *   first and projected after (which mixes heads), the block's keys/values projected first and
 *   compressed after, both then {@code dual_ln_dproj}; logits q.k + q.r_net_chunk(sinusoid of the
 *   distance in compressed slots, realigned per query chunk).
 * </ul>
 * Nothing masks the cache: the zero cache of a first block is attended like any other.
 *
 * <p>Instead of the authors' strided views ({@code get_tiles}, {@code get_diagonals},
 * {@code put_tiles}) the window runs on tiles of Wq queries against Kt = Wq + W keys with a band
 * mask, and the position logits (computed per distance) are skewed into tile columns by a pad and
 * reshape: every op then has a gradient and an XLA kernel.
 *
 * <p>Letters: B batch, M block (a multiple of C, and at most W or a multiple of W), L cache length,
 * D width, H heads, K head width, W window, C chunk, R rank, Nm = L/C cache chunks, Nq = M/C block
 * chunks, S = (Nm + Nq) R compressed slots, Q window tiles, Wq queries per tile, Kt = Wq + W.
 */
public final class ChunkedLongShortAttention<T extends TFloating> {
  private static final double INIT_STD = 0.02;
  /** Window tiles hold W / TILE_SPLIT queries where that divides the block (see queriesPerTile). */
  private static final int TILE_SPLIT = 4;

  private final GraphScope<T> s;
  private final Ops tf;
  private final Dropout dropout;
  private final int d;
  private final int h;
  private final int k;
  private final int w;
  private final int c;
  private final int r;
  private final Linear<T> projQuery;
  private final Linear<T> projKey;
  private final Linear<T> projVal;
  private final Linear<T> projOut;
  private final Linear<T> dconv;
  private final Linear<T> rNet;
  private final Linear<T> rNetChunk;
  private final Operand<T> rrBias;
  private final Operand<T> rwBias;
  private final LayerNorm<T> dualLnDproj;
  private final LayerNorm<T> dualLnWin;

  /** Creates the parameters in {@code s}, initialised as the authors' {@code _init_weights} does. */
  public ChunkedLongShortAttention(GraphScope<T> s, TransformerLsSpec spec, Dropout dropout) {
    this.s = s;
    this.tf = s.tf();
    this.dropout = dropout;
    d = spec.width();
    h = spec.heads();
    k = spec.headWidth();
    w = spec.window();
    c = spec.chunkSize();
    r = spec.chunkRank();
    Initializer weight = Initializer.normal(INIT_STD);
    Initializer zero = Initializer.zeros();
    dconv = Linear.create(s.child("dconv_1"), d, h * r, true, weight, zero);
    rNet = Linear.create(s.child("r_net"), d, d, false, weight, zero);
    rNetChunk = Linear.create(s.child("r_net_chunk"), d, d, true, weight, zero);
    rrBias = s.parameter("r_r_bias", new long[] {1, h, 1, k}, weight);
    rwBias = s.parameter("r_w_bias", new long[] {1, h, 1, 1, k}, weight);
    projQuery = Linear.create(s.child("proj_query"), d, d, spec.useBias(), weight, zero);
    projOut = Linear.create(s.child("proj_out"), d, d, spec.useBias(), weight, zero);
    projVal = Linear.create(s.child("proj_val"), d, d, spec.useBias(), weight, zero);
    projKey = Linear.create(s.child("proj_key"), d, d, spec.useBias(), weight, zero);
    dualLnDproj = layerNorm(s.child("dual_ln_dproj"), d);
    dualLnWin = layerNorm(s.child("dual_ln_win"), d);
  }

  /** The authors' LayerNorm: weight N(1, 0.02^2), bias 0, eps 1e-5. */
  public static <T extends TFloating> LayerNorm<T> layerNorm(GraphScope<T> s, int width) {
    return LayerNorm.create(s, width, TransformerLsSpec.LAYER_NORM_EPSILON, new Initializer() {
      @Override
      public <U extends TFloating> Operand<U> build(Ops tf, Class<U> dtype, long[] shape, long seed) {
        return tf.math.add(Initializer.normal(INIT_STD).build(tf, dtype, shape, seed), tf.constant(dtype, 1.0));
      }
    });
  }

  /**
   * @param x the block's hidden states (B, M, D), already normalised by the layer where it does so
   * @param cache the cache's hidden states (B, L, D), normalised the same way
   * @param posWindow sinusoids of the window distances W-1 .. 0 (W, D), clamped and dropped out by the model
   * @param posChunks sinusoids of the slot distances S-1 .. 0 (S, D), clamped by the model
   * @return (B, M, D), after proj_out and dropout
   */
  public Operand<T> apply(Operand<T> x, Operand<T> cache, Operand<T> posWindow, Operand<T> posChunks) {
    int m = Shapes.staticDim(x, 1, "block hidden states");
    int l = Shapes.staticDim(cache, 1, "cache hidden states");
    if (m % c != 0 || l % c != 0 || l < w || (m > w && m % w != 0)) {
      throw new IllegalArgumentException("ChunkedLongShortAttention '" + s.name() + "': block (" + m
          + ") and cache (" + l + ") must be multiples of chunk_size (" + c + "), the cache at least"
          + " window_len (" + w + ") and the block at most " + w + " or a multiple of it");
    }
    int nm = l / c;
    int nq = m / c;
    int slots = (nm + nq) * r;
    // x, the cache, q, keys and values have three uses each: handed out by FanOut, so that each
    // gradient is summed in a fixed order (an AddN of three or more is not repeatable bit for bit,
    // which the exact resume of training needs)
    List<Operand<T>> xs = FanOut.uses(tf, x, 3);
    // (B, H, M, K), scaled as the authors' attn() does before adding the position biases
    List<Operand<T>> qs = FanOut.uses(tf,
        tf.math.mul(splitHeads(tf, projQuery.apply(xs.get(0)), m, h, k), s.scalar(1.0 / Math.sqrt(k))), 3);

    // the cache's chunks, each head's slice compressed first and projected after: (B, Nm R, D)
    List<Operand<T>> caches = FanOut.uses(tf, cache, 3);
    Operand<T> merged = compress(caches.get(0), chunkWeights(dconv.apply(caches.get(1)), nm), nm);
    // every row proj_key/proj_val take, in one product each: (B, Nm R + W + M, D) =
    // [cache chunks ; last W cache positions ; block]
    Operand<T> projected = Shapes.concat(tf, 1, List.of(merged,
        Shapes.slice(tf, caches.get(2), new long[] {0, l - w, 0}, new long[] {-1, w, d}), xs.get(1)));
    List<Operand<T>> keys = FanOut.uses(tf, projKey.apply(projected), 3);
    List<Operand<T>> vals = FanOut.uses(tf, projVal.apply(projected), 3);
    int cacheSlots = nm * r;
    // (B, H, S, K): the cache's chunks, then the block's (compressed after projection), through
    // dual_ln_dproj together (it is per row)
    Operand<T> blockWeights = chunkWeights(dconv.apply(xs.get(2)), nq);
    Operand<T> keyCompressed = splitHeads(tf, dualLnDproj.apply(Shapes.concat(tf, 1, List.of(
        rows(keys.get(0), 0, cacheSlots), compress(rows(keys.get(1), cacheSlots + w, m), blockWeights, nq)))), slots, h,
        k);
    Operand<T> valCompressed = splitHeads(tf, dualLnDproj.apply(Shapes.concat(tf, 1, List.of(
        rows(vals.get(0), 0, cacheSlots), compress(rows(vals.get(1), cacheSlots + w, m), blockWeights, nq)))), slots, h,
        k);

    // window keys/values over [last W cache positions ; block] (dual_ln_win is per position):
    // (B, W + M, D) -> (B, H, W + M, K)
    Operand<T> keyWindow = splitHeads(tf, dualLnWin.apply(rows(keys.get(2), cacheSlots, w + m)), w + m, h, k);
    Operand<T> valWindow = splitHeads(tf, dualLnWin.apply(rows(vals.get(2), cacheSlots, w + m)), w + m, h, k);

    int wq = queriesPerTile(m);
    int tiles = m / wq;
    int kt = wq + w;
    Operand<T> keyTiles = tile(keyWindow, tiles, wq, null);
    // (B, H, Q, Wq, Kt): content, then the per-distance position logits skewed into tile columns
    Operand<T> qTiles = Shapes.reshape(tf, qs.get(0), -1, h, tiles, wq, k);
    Operand<T> content = matmul(tf.math.add(qTiles, rwBias), keyTiles, true);
    // (W, D) -> (1, H, W, K); (B, H, M, K) x -> (B, H, M, W), column j = distance W-1-j
    Operand<T> posW = Shapes.transpose(tf, Shapes.reshape(tf, rNet.apply(posWindow), 1, w, h, k), 0, 2, 1, 3);
    Operand<T> posLogits = matmul(tf.math.add(qs.get(1), rrBias), broadcastBatch(posW, qs.get(1)), true);
    // the skew's padding lands exactly outside the band, so it carries the mask itself
    Operand<T> windowLogits = tf.math.add(content, skew(posLogits, tiles, wq, kt));

    // chunk logits: content plus the realigned slot-distance terms plus the earlier-chunks mask,
    // built with the queries in offset-major order (B, H, C, Nq, K), the order in which
    // _rel_shift_chunked's flat shift works, so that only the queries (K wide) are transposed
    // there and the logits (S wide) once, back: (B, H, C Nq, S) -> (B, H, Q, Wq, S)
    Operand<T> posC = Shapes.transpose(tf, Shapes.reshape(tf, rNetChunk.apply(posChunks), 1, slots, h, k),
        0, 2, 1, 3);
    Operand<T> qByOffset = Shapes.reshape(tf, Shapes.transpose(tf, Shapes.reshape(tf, qs.get(2), -1, h, nq, c, k),
        0, 1, 3, 2, 4), -1, h, (long) c * nq, k);
    Operand<T> byOffset = tf.math.add(Shapes.reshape(tf, matmul(qByOffset, keyCompressed, true), -1, h, c, nq, slots),
        relShiftChunked(matmul(qByOffset, broadcastBatch(posC, qs.get(2)), true), nq, slots));
    Operand<T> chunkLogits = Shapes.reshape(tf, Shapes.transpose(tf,
        tf.math.add(byOffset, earlierChunksBias(nm, nq, slots)), 0, 1, 3, 2, 4), -1, h, tiles, wq, slots);

    // one softmax over [chunks ; window] as one Softmax op on the concatenated logits (one oneDNN
    // pass, one fused gradient, where a softmax over separate blocks runs max/exp/sum/div passes
    // over each and their broadcast gradients), and one product with every tile's values
    // prefixed by the compressed slots: (B, H, Q, Wq, S + Kt) x (B, H, Q, S + Kt, K) -> (B, H, Q, Wq, K)
    Operand<T> probs = AttentionOps.softmax(tf, Shapes.concat(tf, 4, List.of(chunkLogits, windowLogits)));
    // the slots' values prefixed in the tiles' own gather: one copy of the tiles, not two
    Operand<T> out = Shapes.reshape(tf, matmul(probs, tile(valWindow, tiles, wq, valCompressed), false), -1, h, m, k);
    // (B, M, D)
    return dropout.apply(s, projOut.apply(mergeHeads(tf, out, m, h, k)));
  }

  /**
   * What a block reads of the cache, computed once per cache: its chunks' keys and values
   * (B, H, Nm*R, K), each head's slice of the hidden states compressed first and projected after
   * (mixing heads, as the authors' view does), then {@code dual_ln_dproj}; and the window's keys and
   * values of its last W positions (B, W, D), after {@code dual_ln_win}.
   */
  public record CacheSummary<T extends TFloating>(Operand<T> keys, Operand<T> values, Operand<T> tailKeys,
      Operand<T> tailValues) {}

  /** The {@link CacheSummary} of a cache (B, L, D), normalised as the layer normalises its input. */
  public CacheSummary<T> summarise(Operand<T> cache) {
    int l = Shapes.staticDim(cache, 1, "cache hidden states");
    int nm = l / c;
    Operand<T> merged = compress(cache, chunkWeights(dconv.apply(cache), nm), nm);
    Operand<T> keys = splitHeads(tf, dualLnDproj.apply(projKey.apply(merged)), nm * r, h, k);
    Operand<T> values = splitHeads(tf, dualLnDproj.apply(projVal.apply(merged)), nm * r, h, k);
    Operand<T> tail = Shapes.slice(tf, cache, new long[] {0, l - w, 0}, new long[] {-1, w, d});
    return new CacheSummary<>(keys, values, dualLnWin.apply(projKey.apply(tail)), dualLnWin.apply(projVal.apply(tail)));
  }

  /** What decoding keeps of one block position: its raw key and value (B, 1, D) and dconv_1 scores (B, 1, H*R). */
  public record Row<T extends TFloating>(Operand<T> key, Operand<T> value, Operand<T> scores) {}

  /** The {@link Row} of one position's (normalised) input x (B, 1, D). */
  public Row<T> row(Operand<T> x) {
    return new Row<>(projKey.apply(x), projVal.apply(x), dconv.apply(x));
  }

  /**
   * The attention output of one query, block position t, as row t of {@link #apply} gives it:
   * the same logits, masks and one softmax, against the cache's summary and the block's rows so
   * far. Costs O((W + M + S) D): the window, the block and the compressed slots, whatever the
   * position in the stream.
   *
   * @param x the query position's input (B, 1, D), normalised as the layer does
   * @param t its block position, an int32 scalar in [0, M)
   * @param keys raw keys of the block's positions (B, M, D), rows 0..t written (later rows are not read)
   * @param values raw values, likewise
   * @param scores dconv_1 scores of the block's positions (B, M, H*R), likewise
   * @param posWindow (W, D) and posChunks (S, D) as for {@link #apply}
   * @return (B, 1, D)
   */
  public Operand<T> applyOne(Operand<T> x, Operand<TInt32> t, CacheSummary<T> cache, Operand<T> keys,
      Operand<T> values, Operand<T> scores, Operand<T> posWindow, Operand<T> posChunks) {
    int m = Shapes.staticDim(keys, 1, "block keys");
    int nm = Shapes.staticDim(cache.keys(), 2, "cache keys") / r;
    int nq = m / c;
    int slots = (nm + nq) * r;
    // (B, H, 1, K)
    Operand<T> q = tf.math.mul(splitHeads(tf, projQuery.apply(x), 1, h, k), s.scalar(1.0 / Math.sqrt(k)));
    // window over [tail ; block]: (B, H, W + M, K); query t sits at column W + t
    Operand<T> keyWindow = splitHeads(tf, Shapes.concat(tf, 1, List.of(cache.tailKeys(), dualLnWin.apply(keys))),
        w + m, h, k);
    Operand<T> valWindow = splitHeads(tf, Shapes.concat(tf, 1, List.of(cache.tailValues(), dualLnWin.apply(values))),
        w + m, h, k);
    Operand<T> content = matmul(tf.math.add(q, Shapes.reshape(tf, rwBias, 1, h, 1, k)), keyWindow, true);
    // (B, H, 1, W), column j for distance W-1-j, read at window column t + 1 + j
    Operand<T> posW = Shapes.transpose(tf, Shapes.reshape(tf, rNet.apply(posWindow), 1, w, h, k), 0, 2, 1, 3);
    Operand<T> posLogits = matmul(tf.math.add(q, rrBias), broadcastBatch(posW, q), true);
    Operand<TInt32> col = tf.range(tf.constant(0), tf.constant(w + m), tf.constant(1));
    Operand<TInt32> j = tf.math.sub(col, tf.math.add(t, tf.constant(1)));
    Operand<TInt32> jClipped = tf.math.minimum(tf.math.maximum(j, tf.constant(0)), tf.constant(w - 1));
    Operand<T> windowLogits = tf.math.add(tf.math.add(content, tf.gather(posLogits, jClipped, tf.constant(3))),
        exclusionBias(s, tf.dtypes.cast(tf.math.logicalAnd(tf.math.greaterEqual(j, tf.constant(0)),
            tf.math.less(j, tf.constant(w))), s.dtype())));

    // chunks: the cache's, then the block's (those at or after t's chunk are masked): (B, H, S, K)
    Operand<T> weights = chunkWeights(scores, nq);
    Operand<T> keyCompressed = Shapes.concat(tf, 2, List.of(cache.keys(), normalisedChunks(compress(keys, weights, nq), nq)));
    Operand<T> valCompressed = Shapes.concat(tf, 2, List.of(cache.values(),
        normalisedChunks(compress(values, weights, nq), nq)));
    Operand<T> posC = Shapes.transpose(tf, Shapes.reshape(tf, rNetChunk.apply(posChunks), 1, slots, h, k),
        0, 2, 1, 3);
    // query chunk a reads the distance column n + (Nq - a) R for slot n (_rel_shift_chunked)
    Operand<TInt32> a = tf.math.div(t, tf.constant(c));
    Operand<TInt32> slot = tf.range(tf.constant(0), tf.constant(slots), tf.constant(1));
    Operand<TInt32> shifted = tf.math.minimum(tf.math.add(slot, tf.math.mul(tf.math.sub(tf.constant(nq), a),
        tf.constant(r))), tf.constant(slots - 1));
    Operand<T> chunkLogits = tf.math.add(tf.math.add(matmul(q, keyCompressed, true),
        tf.gather(matmul(q, broadcastBatch(posC, q), true), shifted, tf.constant(3))),
        exclusionBias(s, tf.dtypes.cast(tf.math.less(slot, tf.math.mul(tf.math.add(a, tf.constant(nm)),
            tf.constant(r))), s.dtype())));

    List<Operand<T>> probs = AttentionOps.jointSoftmax(tf, List.of(chunkLogits, windowLogits), null);
    // (B, H, 1, K) -> (B, 1, D)
    Operand<T> out = tf.math.add(matmul(probs.get(0), valCompressed, false), matmul(probs.get(1), valWindow, false));
    return projOut.apply(mergeHeads(tf, out, 1, h, k));
  }

  /** Rows [from, from + n) of x (B, N, Z). */
  private Operand<T> rows(Operand<T> x, int from, int n) {
    return Shapes.slice(tf, x, new long[] {0, from, 0}, new long[] {-1, n, x.shape().get(2)});
  }

  /**
   * The chunk softmax weights from {@code dconv_1} scores (B, N, H*R) -> (B, Nc, R, C, H, 1), a
   * softmax over each chunk's C positions, laid out to scale x's rows in place (see compress).
   * The transposes move the scores only (N H R values, not N D).
   */
  private Operand<T> chunkWeights(Operand<T> dconvScores, int chunks) {
    // (B, Nc, C, H, R) -> (B, Nc, R, H, C): the softmax over C, the last axis
    Operand<T> scores = Shapes.transpose(tf, Shapes.reshape(tf, dconvScores, -1, chunks, c, h, r), 0, 1, 4, 3, 2);
    // -> (B, Nc, R, C, H) -> (B, Nc, R, C, H, 1)
    Operand<T> p = Shapes.transpose(tf, AttentionOps.softmax(tf, scores), 0, 1, 2, 4, 3);
    return Shapes.reshape(tf, p, -1, chunks, r, c, h, 1);
  }

  /**
   * Each head's slice of x (B, N, D) compressed by p (B, Nc, R, C, H, 1): (B, Nc*R, D), row
   * n R + r the r-th vector of chunk n, the heads side by side (mergeHeads' layout). A product
   * of each chunk's (R, C) weights with its (C, K) rows per head would be Nc H tiny matrix
   * products (Einsum ran them and above all their gradients at a few GFLOP/s, and needed x's
   * rows transposed head-major and back); R C H K products summed over C are one broadcast Mul
   * and one Sum over x's own layout.
   */
  private Operand<T> compress(Operand<T> x, Operand<T> p, int chunks) {
    // (B, Nc, 1, C, H, K) * (B, Nc, R, C, H, 1) -> (B, Nc, R, C, H, K) -> sum over C: (B, Nc, R, H, K)
    Operand<T> weighted = tf.math.mul(Shapes.reshape(tf, x, -1, chunks, 1, c, h, k), p);
    Operand<T> summed = tf.reduceSum(weighted, tf.constant(3));
    return Shapes.reshape(tf, summed, -1, (long) chunks * r, d);
  }

  /** dual_ln_dproj over compressed vectors (B, Nc*R, D), split into heads: (B, H, Nc*R, K). */
  private Operand<T> normalisedChunks(Operand<T> compressed, int chunks) {
    int n = chunks * r;
    return splitHeads(tf, dualLnDproj.apply(compressed), n, h, k);
  }

  /**
   * (B, H, W + M, K) -> (B, H, Q, Kt, K): tile q holds rows [q Wq, q Wq + Kt), i.e. the W positions
   * before its queries and its queries. With {@code prefix} (B, H, P, K) (or null) the same P rows
   * before every tile's rows: (B, H, Q, P + Kt, K).
   *
   * <p>With Q > 1 the tiles overlap (stride Wq, length Kt), so they are one gather of rows along
   * axis 2 (one copy of the tiles; its gradient one segment sum), where slicing W/Wq + 1 shifted
   * views and concatenating them copied every tile twice and summed W/Wq + 1 padded gradients.
   */
  private Operand<T> tile(Operand<T> x, int tiles, int wq, Operand<T> prefix) {
    if (tiles == 1) {
      Operand<T> one = Shapes.reshape(tf, x, -1, h, 1, wq + w, k);
      return prefix == null ? one
          : Shapes.concat(tf, 3, List.of(Shapes.reshape(tf, prefix, -1, h, 1, prefix.shape().get(2), k), one));
    }
    int p = prefix == null ? 0 : (int) prefix.shape().get(2);
    int kt = wq + w;
    // (B, H, P + W + M, K): the prefix rows, then x's
    Operand<T> source = prefix == null ? x : Shapes.concat(tf, 2, List.of(prefix, x));
    // (Q, P + Kt) row index: column j < P reads prefix row j, column j >= P reads x's row q Wq + j - P
    Operand<TInt32> column = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(p + kt), tf.constant(1)), 1, p + kt);
    Operand<TInt32> start = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(tiles * wq), tf.constant(wq)), tiles, 1);
    Operand<TInt32> index = p == 0 ? tf.math.add(column, start)
        : tf.math.add(column, tf.math.mul(start, tf.dtypes.cast(tf.math.greaterEqual(column, tf.constant(p)), TInt32.class)));
    // (B, H, Q, P + Kt, K)
    return tf.gather(source, index, tf.constant(2));
  }

  /**
   * Wq: W / TILE_SPLIT queries per tile where that divides the block (each tile computes
   * Wq (Wq + W) logits of which Wq W are in the band: Wq = W wastes half of them, W / 4 a fifth;
   * at W 512 and blocks of 1K-2K, tiles of 128 queries ran the block step 0.6x the time of tiles
   * of 512 and 0.85x that of 256, see bench/peers/README.md), else W queries per tile for a block
   * longer than the window, or one tile of the whole block.
   */
  private int queriesPerTile(int m) {
    int target = w / TILE_SPLIT;
    if (w % TILE_SPLIT == 0 && m > target && m % target == 0) {
      return target;
    }
    return m > w ? w : m;
  }

  /**
   * Per-distance logits (B, H, M, W) (column j for the key j + 1 after the query's tile row, i.e.
   * distance W-1-j) into tile columns (B, H, Q, Wq, Kt): y[i, i + 1 + j] = x[i, j]. Padding each
   * row to Kt + 1 and reading the flat rows with length Kt shifts row i right by i + 1. Every
   * column outside the band (query i sees column j iff i < j <= i + W: the W most recent
   * positions, itself included) comes from the padding, so padding with the exclusion bias
   * ({@link AttentionOps#EXCLUDED}) masks the band with no separate mask and no extra pass over
   * the (B, H, Q, Wq, Kt) logits.
   */
  private Operand<T> skew(Operand<T> x, int tiles, int wq, int kt) {
    // one pad entry before each row and Kt - W = Wq after: (B, H, Q, Wq, Kt + 1); read flat with
    // row length Kt, row i starts i entries earlier, so x[i, j] lands at column i + 1 + j (< Kt),
    // columns 0 .. i come from the pad after row i - 1 and the one before row i, and columns
    // after i + W from the pad after row i
    Operand<T> rows = Shapes.padAxis(tf, Shapes.reshape(tf, x, -1, h, tiles, wq, w),
        s.scalar(AttentionOps.EXCLUDED), 5, 4, 1, kt - w);
    Operand<T> flat = Shapes.reshape(tf, rows, -1, h, tiles, (long) wq * (kt + 1));
    Operand<T> cut = Shapes.slice(tf, flat, new long[] {0, 0, 0, 0}, new long[] {-1, h, tiles, (long) wq * kt});
    return Shapes.reshape(tf, cut, -1, h, tiles, wq, kt);
  }

  /**
   * The authors' {@code _rel_shift_chunked}: x (B, H, C Nq, S), query offset i in its chunk, then
   * query chunk a, column n for slot distance S-1-n, to (B, H, C, Nq, S) where query chunk a
   * reads column s + (Nq - a) R for slot s. Done as theirs: per query offset within a chunk, pad
   * the (Nq, S) rows by R and read them flat with row length S from offset Nq R.
   */
  private Operand<T> relShiftChunked(Operand<T> x, int nq, int slots) {
    Operand<T> padded = Shapes.padAxis(tf, Shapes.reshape(tf, x, -1, h, c, nq, slots), s.scalar(0.0), 5, 4, 0, r);
    Operand<T> flat = Shapes.reshape(tf, padded, -1, h, c, (long) nq * (slots + r));
    Operand<T> cut = Shapes.slice(tf, flat, new long[] {0, 0, 0, (long) nq * r},
        new long[] {-1, h, c, (long) nq * slots});
    return Shapes.reshape(tf, cut, -1, h, c, nq, slots);
  }

  /**
   * Query chunk a sees slot n iff n / R < Nm + a: every cache chunk and the block's chunks strictly
   * before its own (the authors' {@code chunk_attn_mask}). (1, 1, 1, Nq, S), for logits in
   * offset-major order (B, H, C, Nq, S).
   */
  private Operand<T> earlierChunksBias(int nm, int nq, int slots) {
    Operand<TInt32> a = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(nq), tf.constant(1)), 1, 1, 1, nq, 1);
    Operand<TInt32> n = Shapes.reshape(tf, tf.range(tf.constant(0), tf.constant(slots), tf.constant(1)), 1, 1, 1, 1, slots);
    Operand<TBool> visible = tf.math.less(n, tf.math.mul(tf.math.add(a, tf.constant(nm)), tf.constant(r)));
    return exclusionBias(s, tf.dtypes.cast(visible, s.dtype()));
  }

  /**
   * (1, H, X, K) tiled to the batch of {@code like} (B, H, M, K): a plain batched product, whose
   * gradient needs no broadcasting reduction.
   */
  private Operand<T> broadcastBatch(Operand<T> x, Operand<T> like) {
    long b = like.shape().get(0);
    if (b == 1) {
      return x;
    }
    Operand<TInt32> batch = Shapes.slice(tf, tf.shape(like), new long[] {0}, new long[] {1});
    Operand<TInt32> multiples = Shapes.concat(tf, 0, List.of(batch, tf.constant(new int[] {1, 1, 1})));
    return tf.tile(x, multiples);
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
