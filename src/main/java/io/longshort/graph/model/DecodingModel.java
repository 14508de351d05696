package io.longshort.graph.model;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TFloating;

/**
 * A built model that reads its input a block at a time, carrying a cache from one block to the
 * next (the authors' LM: the previous block's hidden states its long-short attention reads).
 */
public interface DecodingModel<T extends TFloating> extends BuiltModel<T> {
  /** One block's results: log-probs (B, M, V) row-major, and the next cache (the caller closes it). */
  record Step<T extends TFloating>(double[] logprobs, T nextCache) implements AutoCloseable {
    @Override
    public void close() {
      nextCache.close();
    }
  }

  /** Rows per block (B). */
  long batch();

  /** Tokens per block (M). */
  int block();

  /** The cache's shape, e.g. (NL, B, L, D). */
  Shape cacheShape();

  /** The cache of a first block (zeros). The caller closes it. */
  T zeroCache();

  /** Runs one block: ids (B, M) row-major, from {@code cache} (not closed here). */
  Step<T> run(int[] ids, T cache);
}
