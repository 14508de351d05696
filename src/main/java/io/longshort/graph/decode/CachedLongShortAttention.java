package io.longshort.graph.decode;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.attention.LongShortWeights;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.decode.CacheWrites.keepBias;
import static io.longshort.graph.decode.CacheWrites.rowIds;
import static io.longshort.graph.decode.CacheWrites.writeRow;

import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * {@link CausalLongShortAttention} one position at a time. The cache of a layer holds:
 * <ul>
 *   <li>{@code win_k}, {@code win_v} (B, W, D): a ring of the W most recent LN_l-normalised keys
 *       and values, position p in row p mod W; at position t row i is valid iff i <= t (before
 *       the ring is full), so the window is exactly t-W+1..t;
 *   <li>{@code seg_k}, {@code seg_v} (B, L, D) raw keys/values and {@code seg_scores} (B, L, H*R)
 *       the projection scores of the current segment, position p in row p mod L;
 *   <li>{@code glob_k}, {@code glob_v} (B, S*R, D): the LN_s-normalised projected vectors of each
 *       segment. Every step recomputes the projection of its own (partial) segment from the
 *       segment rows written so far and stores it in that segment's slots; those slots are not
 *       visible to the segment itself, and its last position leaves the complete projection.
 * </ul>
 * A query at t then sees the slots of segments strictly before t / L and the window, under one
 * softmax, the same logits and weights as the full causal graph. Per step the work is O(W + S*R)
 * dot products plus O(L) for the projection: bounded by the window and the number of segments,
 * never by the prefix.
 *
 * <p>Letters: B batch, D width, H heads, K head width, W window, L segment, R rank,
 * S = ceil(C / L) segments of a capacity of C positions.
 */
final class CachedLongShortAttention<T extends TFloating> implements CachedAttention<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int d;
  private final int h;
  private final int k;
  private final int w;
  private final int l;
  private final int r;
  private final int segments;
  private final LongShortWeights<T> weights;

  CachedLongShortAttention(GraphScope<T> s, AttentionSpec spec, int capacity) {
    this.s = s;
    this.tf = s.tf();
    this.d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.w = spec.window();
    this.l = spec.segment();
    this.r = spec.rank();
    this.segments = AttentionOps.roundUp(capacity, l) / l;
    weights = new LongShortWeights<>(s, spec);
  }

  @Override
  public List<DecodeCache.Entry> cacheEntries(String prefix) {
    List<DecodeCache.Entry> e = new ArrayList<>();
    e.add(new DecodeCache.Entry(prefix + "win_k", w, d));
    e.add(new DecodeCache.Entry(prefix + "win_v", w, d));
    if (r > 0) {
      e.add(new DecodeCache.Entry(prefix + "seg_k", l, d));
      e.add(new DecodeCache.Entry(prefix + "seg_v", l, d));
      e.add(new DecodeCache.Entry(prefix + "seg_scores", l, (long) h * r));
      e.add(new DecodeCache.Entry(prefix + "glob_k", (long) segments * r, d));
      e.add(new DecodeCache.Entry(prefix + "glob_v", (long) segments * r, d));
    }
    return e;
  }

  @Override
  public Step<T> step(Operand<T> x, Operand<TInt32> t, List<Operand<T>> cache) {
    // (B, D)
    Operand<T> keys = weights.wK.apply(x);
    Operand<T> values = weights.wV.apply(x);
    // (B, H, 1, K)
    Operand<T> q = Shapes.reshape(tf, tf.math.mul(weights.wQ.apply(x), s.scalar(1.0 / Math.sqrt(k))), -1, h, 1, k);

    // the window ring: (B, W, D), then (B, H, 1, W) logits
    Operand<TInt32> ringRow = tf.math.floorMod(t, tf.constant(w));
    Operand<T> winK = writeRow(tf, cache.get(0), ringRow, w, weights.dualLnL.apply(keys));
    Operand<T> winV = writeRow(tf, cache.get(1), ringRow, w, weights.dualLnL.apply(values));
    Operand<T> windowLogits = tf.math.add(matmul(q, heads(winK, w), true),
        keepBias(s, tf.math.lessEqual(rowIds(tf, w), t), w));

    List<Operand<T>> next = new ArrayList<>(List.of(winK, winV));
    if (r == 0) {
      // (B, H, 1, W) @ (B, H, W, K) -> (B, H, 1, K)
      Operand<T> out = matmul(AttentionOps.softmax(tf, windowLogits), heads(winV, w), false);
      return new Step<>(weights.wO.apply(Shapes.reshape(tf, out, -1, d)), next);
    }
    int slots = segments * r;
    Operand<TInt32> segRow = tf.math.floorMod(t, tf.constant(l));
    Operand<TInt32> segment = tf.math.floorDiv(t, tf.constant(l));
    // (B, L, D), (B, L, D), (B, L, H*R)
    Operand<T> segK = writeRow(tf, cache.get(2), segRow, l, keys);
    Operand<T> segV = writeRow(tf, cache.get(3), segRow, l, values);
    Operand<T> segScores = writeRow(tf, cache.get(4), segRow, l, weights.dconvFc.apply(x));
    // softmax over the segment's rows written so far: (B, L, H, R) -> (B, H, R, L)
    Operand<T> scores = tf.math.add(Shapes.transpose(tf, Shapes.reshape(tf, segScores, -1, l, h, r), 0, 2, 3, 1),
        keepBias(s, tf.math.lessEqual(rowIds(tf, l), segRow), l));
    Operand<T> p = AttentionOps.softmax(tf, scores);
    // projection before the norm: (B, H, R, L) x (B, H, L, K) -> (B, H, R, K) -> (B, R, D) -> LN_s
    Operand<T> kBar = weights.dualLnS.apply(AttentionOps.mergeHeads(tf, matmul(p, heads(segK, l), false), r, h, k));
    Operand<T> vBar = weights.dualLnS.apply(AttentionOps.mergeHeads(tf, matmul(p, heads(segV, l), false), r, h, k));
    // (B, S*R, D)
    Operand<T> globK = writeSegment(cache.get(5), segment, kBar);
    Operand<T> globV = writeSegment(cache.get(6), segment, vBar);
    next.addAll(List.of(segK, segV, segScores, globK, globV));
    // slot m (segment m / R) is visible iff m / R < t / L: (B, H, 1, S*R)
    Operand<TBool> earlier = tf.math.less(tf.math.floorDiv(rowIds(tf, slots), tf.constant(r)), segment);
    Operand<T> globalLogits = tf.math.add(matmul(q, heads(globK, slots), true), keepBias(s, earlier, slots));
    // one joint softmax over [S*R slots ; W window keys], kept in its blocks (B, H, 1, S*R) and (B, H, 1, W)
    List<Operand<T>> probs = AttentionOps.jointSoftmax(tf, List.of(globalLogits, windowLogits), null);
    // (B, H, 1, K)
    Operand<T> out = tf.math.add(matmul(probs.get(1), heads(winV, w), false),
        matmul(probs.get(0), heads(globV, slots), false));
    // (B, H, 1, K) -> (B, D): heads side by side, as mergeHeads lays them out
    return new Step<>(weights.wO.apply(Shapes.reshape(tf, out, -1, d)), next);
  }

  /** glob (B, S*R, D) with the R slots of {@code segment} replaced by value (B, R, D). */
  private Operand<T> writeSegment(Operand<T> glob, Operand<TInt32> segment, Operand<T> value) {
    // (B, S, R*D) rows, one per segment
    Operand<T> bySegment = Shapes.reshape(tf, glob, -1, segments, (long) r * d);
    Operand<T> written = writeRow(tf, bySegment, segment, segments, Shapes.reshape(tf, value, -1, (long) r * d));
    return Shapes.reshape(tf, written, -1, (long) segments * r, d);
  }

  /** (B, M, D) -> (B, H, M, K). */
  private Operand<T> heads(Operand<T> x, long m) {
    return AttentionOps.splitHeads(tf, x, Math.toIntExact(m), h, k);
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
