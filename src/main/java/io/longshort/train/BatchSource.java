package io.longshort.train;

import io.longshort.data.Batch;
import io.longshort.data.Batcher;

/**
 * Batches by global index: batch i of a run is always the same batch (epoch i / batchesPerEpoch,
 * shuffled by the run's seed and that epoch), which is what makes a resumed run see exactly the
 * data an uninterrupted one would.
 */
public interface BatchSource {
  Batch batch(long index);

  /** Batches in one pass over the data. */
  long batchesPerEpoch();

  /** Global batch index i -> batch (i mod E) of epoch (i / E) of {@code batcher}. */
  static BatchSource of(Batcher batcher) {
    return new BatchSource() {
      @Override
      public Batch batch(long index) {
        long perEpoch = batcher.batchesPerEpoch();
        return batcher.batch(index / perEpoch, Math.toIntExact(index % perEpoch));
      }

      @Override
      public long batchesPerEpoch() {
        return batcher.batchesPerEpoch();
      }
    };
  }
}
