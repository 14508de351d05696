package io.longshort.data;

/**
 * Batches by global index, as the training loop feeds them: batch i of a run is always the same
 * batch (epoch i / batchesPerEpoch, shuffled by the run's seed and that epoch), which is what
 * makes a resumed run see exactly the data an uninterrupted one would.
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

  /** Each batch of {@code data} as {@code shards} batches of equal rows, in order (shard batches of a smaller graph). */
  static BatchSource shards(BatchSource data, int shards) {
    return new BatchSource() {
      @Override
      public Batch batch(long index) {
        Batch whole = data.batch(index / shards);
        int rows = whole.batchSize() / shards;
        int i = (int) (index % shards);
        return whole.rows(i * rows, (i + 1) * rows);
      }

      @Override
      public long batchesPerEpoch() {
        return data.batchesPerEpoch() * shards;
      }
    };
  }
}
