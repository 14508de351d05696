package io.longshort.data;

import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A byte corpus for the cache-recall experiment: records of {@code gap + 1} blocks of M bytes. A
 * record's first block opens with {@code =} and a random value of V letters; its block number
 * {@code gap} ends with {@code ?} and the same value; every other byte is the filler {@code .}. The
 * value's bytes after {@code ?} are the recall bytes: nothing in their own block predicts them (the
 * letters are uniform, so chance is 1 / letters), only the key {@code gap} blocks back does, so only
 * a model whose cache carries the earlier blocks can predict them.
 *
 * <p>Records start at multiples of the record length, so lanes of {@link BpttStreams} whose length
 * is a multiple of it read whole records from their first block on ({@link #bytes} makes such a
 * corpus for a lane count).
 *
 * <p>Letters: M block, V value length.
 *
 * @param block M
 * @param gap blocks from the key's block to the query's (>= 1)
 * @param valueLength V
 * @param letters the value's alphabet size (from {@code a})
 */
public record RecallCorpus(int block, int gap, int valueLength, int letters) {
  public RecallCorpus {
    if (block < 1 || gap < 1 || valueLength < 1 || letters < 2 || letters > 26) {
      throw new IllegalArgumentException("RecallCorpus: block (" + block + ") and gap (" + gap + ") must be >= 1,"
          + " valueLength (" + valueLength + ") >= 1, letters (" + letters + ") in [2, 26]");
    }
    if (valueLength + 1 > block) {
      throw new IllegalArgumentException("RecallCorpus: valueLength (" + valueLength + ") + 1 must fit in the block ("
          + block + ")");
    }
  }

  /** Bytes per record: gap + 1 blocks. */
  public int recordLength() {
    return (gap + 1) * block;
  }

  /** A corpus of {@code recordsPerLane} records for each of {@code lanes} lanes, values drawn from {@code seed}. */
  public byte[] bytes(int lanes, int recordsPerLane, long seed) {
    int records = lanes * recordsPerLane;
    byte[] out = new byte[records * recordLength()];
    java.util.Arrays.fill(out, (byte) '.');
    Random random = new Random(seed);
    for (int r = 0; r < records; r++) {
      int key = r * recordLength();
      int query = key + gap * block + block - 1 - valueLength;
      out[key] = '=';
      out[query] = '?';
      for (int i = 0; i < valueLength; i++) {
        byte letter = (byte) ('a' + random.nextInt(letters));
        out[key + 1 + i] = letter;
        out[query + 1 + i] = letter;
      }
    }
    return out;
  }

  /** Writes {@link #bytes} to {@code file} (atomically). */
  public void write(Path file, int lanes, int recordsPerLane, long seed) throws IOException {
    AtomicFiles.write(file, bytes(lanes, recordsPerLane, seed));
  }

  /**
   * Whether position t of the block at offset {@code blockInLane} of a lane (a multiple of the
   * record length from the lane's start) predicts a recall byte: its target is a value byte after
   * {@code ?}.
   */
  public boolean isRecallTarget(long blockInLane, int t) {
    int first = block - 1 - valueLength; // the input '?' predicts the value's first byte
    return blockInLane % (gap + 1) == gap && t >= first && t < first + valueLength;
  }
}
