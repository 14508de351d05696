package io.longshort.train;

/**
 * Batches by global index: batch i of a run is always the same batch (epoch i / batchesPerEpoch,
 * shuffled by the run's seed and that epoch), which is what makes a resumed run see exactly the
 * data an uninterrupted one would.
 */
public interface BatchSource {
  Batch batch(long index);

  /** Batches in one pass over the data. */
  long batchesPerEpoch();
}
