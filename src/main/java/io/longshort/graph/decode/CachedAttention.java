package io.longshort.graph.decode;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * A causal attention layer run one position at a time over a cache of what earlier positions
 * left behind. One step at position t gives the row t of the layer's full causal output.
 *
 * <p>Letters: B batch, D width.
 */
interface CachedAttention<T extends TFloating> {
  /** The cache entries of this layer, named {@code prefix + what}. */
  List<DecodeCache.Entry> cacheEntries(String prefix);

  /** The layer's output at one position and the updated cache. */
  record Step<T extends TFloating>(Operand<T> output, List<Operand<T>> cache) {}

  /**
   * @param x (B, D) the layer's input at position t
   * @param t scalar int32, the position (0-based; the same for every row)
   * @param cache this layer's entries, in {@link #cacheEntries} order
   * @return (B, D) and the cache with position t written in
   */
  Step<T> step(Operand<T> x, Operand<TInt32> t, List<Operand<T>> cache);
}
