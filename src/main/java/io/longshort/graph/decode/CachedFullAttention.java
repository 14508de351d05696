package io.longshort.graph.decode;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.decode.CacheWrites.keepBias;
import static io.longshort.graph.decode.CacheWrites.rowIds;
import static io.longshort.graph.decode.CacheWrites.writeRow;

import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Causal {@link FullAttention} one position at a time over a plain key/value cache: {@code k},
 * {@code v} (B, C, D) hold every position so far (row p for position p; rows after t invalid).
 * The baseline for long-short decoding: a step costs O(C) dot products and a cache of C rows.
 *
 * <p>Letters: B batch, C capacity, D width, H heads, K head width.
 */
final class CachedFullAttention<T extends TFloating> implements CachedAttention<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int d;
  private final int h;
  private final int k;
  private final int capacity;
  private final Linear<T> wQ;
  private final Linear<T> wK;
  private final Linear<T> wV;
  private final Linear<T> wO;

  CachedFullAttention(GraphScope<T> s, AttentionSpec spec, int capacity) {
    this.s = s;
    this.tf = s.tf();
    this.d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.capacity = capacity;
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
  }

  @Override
  public List<DecodeCache.Entry> cacheEntries(String prefix) {
    return List.of(new DecodeCache.Entry(prefix + "k", capacity, d), new DecodeCache.Entry(prefix + "v", capacity, d));
  }

  @Override
  public Step<T> step(Operand<T> x, Operand<TInt32> t, List<Operand<T>> cache) {
    // (B, H, 1, K)
    Operand<T> q = Shapes.reshape(tf, tf.math.mul(wQ.apply(x), s.scalar(1.0 / Math.sqrt(k))), -1, h, 1, k);
    // (B, C, D)
    Operand<T> keys = writeRow(tf, cache.get(0), t, capacity, wK.apply(x));
    Operand<T> values = writeRow(tf, cache.get(1), t, capacity, wV.apply(x));
    // (B, H, 1, C): positions 0..t
    Operand<T> logits = tf.math.add(matmul(q, heads(keys), true),
        keepBias(s, tf.math.lessEqual(rowIds(tf, capacity), t), capacity));
    Operand<T> out = matmul(AttentionOps.softmax(tf, logits), heads(values), false);
    return new Step<>(wO.apply(Shapes.reshape(tf, out, -1, d)), List.of(keys, values));
  }

  /** (B, C, D) -> (B, H, C, K). */
  private Operand<T> heads(Operand<T> x) {
    return AttentionOps.splitHeads(tf, x, capacity, h, k);
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
