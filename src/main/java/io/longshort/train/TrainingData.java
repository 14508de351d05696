package io.longshort.train;

import io.longshort.io.HostArray;
import io.longshort.data.Batch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Batches by global index, as the training loop feeds them: batch i of a run is always the same
 * batch, which is what makes a resumed run see exactly the data an uninterrupted one would.
 */
public interface TrainingData {
  FeedBatch batch(long index);

  /** Batches in one pass over the data. */
  long batchesPerEpoch();

  /**
   * Token batches ({@link BatchSource}): the batch's int32 (B, N) arrays by input name and its
   * labels (B), or next-byte targets (B, N) when {@code languageModel}.
   */
  static TrainingData tokens(BatchSource source, boolean languageModel) {
    return new TrainingData() {
      @Override
      public FeedBatch batch(long index) {
        Batch b = source.batch(index);
        long[] shape = {b.batchSize(), b.length()};
        Map<String, HostArray> arrays = new LinkedHashMap<>();
        b.arrays().forEach((name, v) -> {
          if (!name.equals("labels") && !name.equals("targets")) {
            arrays.put(name, HostArray.ints(shape, v));
          }
        });
        arrays.put(FeedBatch.LABELS, languageModel ? HostArray.ints(shape, b.targets())
            : HostArray.ints(new long[] {b.batchSize()}, b.labels()));
        return new FeedBatch(arrays, b.rows() * (languageModel ? b.length() : 1));
      }

      @Override
      public long batchesPerEpoch() {
        return source.batchesPerEpoch();
      }
    };
  }

  /** Each batch of {@code data} as {@code shards} batches of equal rows, in order (shard batches of a smaller graph). */
  static TrainingData shards(TrainingData data, int shards) {
    return new TrainingData() {
      @Override
      public FeedBatch batch(long index) {
        FeedBatch whole = data.batch(index / shards);
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
