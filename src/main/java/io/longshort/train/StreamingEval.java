package io.longshort.train;

import io.longshort.data.ByteCorpus;
import io.longshort.graph.model.TransformerLsLm;
import java.io.IOException;
import java.util.Arrays;
import org.tensorflow.types.family.TFloating;

/**
 * Bits per character of the authors' LM scored as their {@code fairseq-eval-lm --tokens-per-sample
 * M --mem-len L} scores a split: block by block, each block from the cache the previous blocks
 * left (the first from the zero cache), so a prediction sees up to L positions of hidden states
 * before its block. Every byte after the first is predicted once: position p of the stretch
 * predicts byte p + 1, the last position of a block the first byte of the next. A last block
 * shorter than M is padded with id 0 after its bytes, which no scored position sees.
 *
 * <p>Letters: M block, L cache length, V vocabulary.
 */
public final class StreamingEval {
  private StreamingEval() {}

  /** Told after every block: blocks done of the total. */
  @FunctionalInterface
  public interface Listener {
    void block(long done, long total, long scored, double bitsPerCharacter);
  }

  /**
   * @param scored predictions scored (bytes - 1)
   * @param bitsPerCharacter their mean -log2 p
   * @param blocks blocks run
   */
  public record Result(long scored, double bitsPerCharacter, long blocks) {}

  /**
   * @param lm a batch-1 inference graph for blocks of M
   * @param range the stretch of the corpus to score
   * @param idOfByte the model's token id of each byte value (the identity for byte models, a fairseq
   *     dictionary's ids for imported checkpoints)
   */
  public static <T extends TFloating> Result evaluate(TransformerLsLm<T> lm, ByteCorpus corpus,
      ByteCorpus.Range range, int[] idOfByte, Listener listener) throws IOException {
    if (lm.batch() != 1) {
      throw new IllegalArgumentException("streaming evaluation scores one stream: the graph's batch must be 1, not "
          + lm.batch());
    }
    if (idOfByte.length != 256) {
      throw new IllegalArgumentException("idOfByte must map all 256 byte values, got " + idOfByte.length);
    }
    long n = range.length();
    if (n < 2) {
      throw new IllegalArgumentException("the stretch holds " + n + " bytes: at least 2 are needed to predict one");
    }
    int m = lm.block();
    int v = lm.spec().vocabSize();
    long blocks = (n - 1 + m - 1) / m; // blocks whose positions predict a byte: positions 0 .. n-2
    byte[] buf = new byte[m + 1];
    double nats = 0;
    long scored = 0;
    T cache = lm.zeroCache();
    try {
      for (long k = 0; k < blocks; k++) {
        long start = k * m;
        // the block's bytes and the one after it (the last position's target)
        int have = (int) Math.min(m + 1, n - start);
        byte[] chunk = have == buf.length ? buf : new byte[have];
        corpus.read(range.offset() + start, chunk);
        int[] ids = new int[m];
        int[] targets = new int[have - 1];
        for (int t = 0; t < m; t++) {
          ids[t] = t < have ? id(idOfByte, chunk[t], v) : 0;
        }
        for (int t = 0; t < have - 1; t++) {
          targets[t] = id(idOfByte, chunk[t + 1], v);
        }
        TransformerLsLm.Step<T> step = lm.run(ids, cache);
        cache.close();
        cache = step.nextCache();
        double[] lp = step.logprobs();
        for (int t = 0; t < targets.length; t++) {
          nats -= lp[t * v + targets[t]];
        }
        scored += targets.length;
        if (listener != null) {
          listener.block(k + 1, blocks, scored, nats / scored / Math.log(2));
        }
      }
    } finally {
      cache.close();
    }
    return new Result(scored, nats / scored / Math.log(2), blocks);
  }

  /** The identity map of byte models. */
  public static int[] byteIds() {
    int[] ids = new int[256];
    Arrays.setAll(ids, i -> i);
    return ids;
  }

  private static int id(int[] idOfByte, byte b, int v) {
    int id = idOfByte[b & 0xFF];
    if (id < 0 || id >= v) {
      throw new IllegalArgumentException("byte " + (b & 0xFF) + " maps to id " + id + ", outside the model's"
          + " vocabulary 0.." + (v - 1) + (id < 0 ? " (the dictionary does not hold it)" : ""));
    }
    return id;
  }
}
