package io.longshort.data;

import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A byte corpus for the cache-recall experiment: records of {@code gap + 1} blocks of M bytes. A
 * record's first block (the value) is M random letters; the block {@code gap} later repeats it;
 * the blocks between are the filler {@code .}. The recall bytes are the repeat's bytes after its
 * first: the letters are uniform, so nothing in their own block predicts them (chance is
 * 1 / letters), only the value {@code gap} blocks back does, so only a model whose cache carries
 * the earlier blocks can predict them. (The repeat's first byte is left out: the last position of
 * the value's block predicts it, and that block holds the value when gap is 1.)
 *
 * <p>Records start at multiples of the record length, so lanes of {@link BpttStreams} whose length
 * is a multiple of it read whole records from their first block on ({@link #bytes} makes such a
 * corpus for a lane count).
 *
 * <p>Letters: M block.
 *
 * @param block M
 * @param gap blocks from the value's block to its repeat (>= 1)
 * @param letters the value's alphabet size (from {@code a})
 */
public record RecallCorpus(int block, int gap, int letters) {
  public RecallCorpus {
    if (block < 2 || gap < 1 || letters < 2 || letters > 26) {
      throw new IllegalArgumentException("RecallCorpus: block (" + block + ") must be >= 2, gap (" + gap + ") >= 1,"
          + " letters (" + letters + ") in [2, 26]");
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
      int value = r * recordLength();
      int repeat = value + gap * block;
      for (int i = 0; i < block; i++) {
        byte letter = (byte) ('a' + random.nextInt(letters));
        out[value + i] = letter;
        out[repeat + i] = letter;
      }
    }
    return out;
  }

  /** Writes {@link #bytes} to {@code file} (atomically). */
  public void write(Path file, int lanes, int recordsPerLane, long seed) throws IOException {
    AtomicFiles.write(file, bytes(lanes, recordsPerLane, seed));
  }

  /**
   * Whether position t of the block {@code blockInLane} of a lane (lanes start at multiples of the
   * record length) predicts a recall byte: a repeat's byte after its first.
   */
  public boolean isRecallTarget(long blockInLane, int t) {
    return blockInLane % (gap + 1) == gap && t < block - 1;
  }
}
