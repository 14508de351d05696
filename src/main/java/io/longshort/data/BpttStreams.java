package io.longshort.data;

import java.io.IOException;

/**
 * Truncated-BPTT batches as fairseq's {@code truncated_bptt_lm} task makes them: the stretch is
 * cut into B equal consecutive lanes (its tail, less than B bytes, dropped), and batch s holds
 * block s of every lane: row b the bytes [s M, s M + M) of lane b, its targets the bytes one
 * further. So each row reads consecutive blocks and its cache carries the lane's history. When a
 * lane has no whole block left the next epoch starts from the lanes' beginnings (with a zero
 * cache). Unlike fairseq, whose last position of a block has a padding target, the last position
 * predicts the next block's first byte (the lanes keep one byte beyond their last block for it).
 *
 * <p>Letters: B lanes (batch rows), M block.
 */
public final class BpttStreams {
  private final ByteCorpus corpus;
  private final ByteCorpus.Range range;
  private final int lanes;
  private final int block;
  private final long laneLength;
  private final long blocksPerEpoch;
  private final int[] idOfByte;

  /** One batch: ids and targets (B, M) row-major, and whether it starts an epoch (zero cache). */
  public record Batch(int[] ids, int[] targets, boolean startsEpoch) {}

  public BpttStreams(ByteCorpus corpus, ByteCorpus.Range range, int lanes, int block, int[] idOfByte) {
    if (lanes < 1 || block < 1) {
      throw new IllegalArgumentException("lanes (" + lanes + ") and block (" + block + ") must be >= 1");
    }
    this.corpus = corpus;
    this.range = range;
    this.lanes = lanes;
    this.block = block;
    this.idOfByte = idOfByte.clone();
    laneLength = range.length() / lanes;
    blocksPerEpoch = (laneLength - 1) / block;
    if (blocksPerEpoch < 1) {
      throw new IllegalArgumentException("the stretch (" + range.length() + " bytes) cut into " + lanes
          + " lanes leaves " + laneLength + " bytes per lane, less than one block of " + block + " and its next byte");
    }
  }

  /** Blocks per lane in one epoch. */
  public long blocksPerEpoch() {
    return blocksPerEpoch;
  }

  /** The batch of update {@code step} (0-based): block step mod blocksPerEpoch of every lane. */
  public Batch batch(long step) throws IOException {
    long s = step % blocksPerEpoch;
    int[] ids = new int[lanes * block];
    int[] targets = new int[lanes * block];
    byte[] buf = new byte[block + 1];
    for (int b = 0; b < lanes; b++) {
      corpus.read(range.offset() + b * laneLength + s * block, buf);
      for (int t = 0; t < block; t++) {
        ids[b * block + t] = idOfByte[buf[t] & 0xFF];
        targets[b * block + t] = idOfByte[buf[t + 1] & 0xFF];
      }
    }
    return new Batch(ids, targets, s == 0);
  }
}
