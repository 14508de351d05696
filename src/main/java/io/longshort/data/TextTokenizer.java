package io.longshort.data;

import java.util.Arrays;
import java.util.List;

/**
 * How one model family turns text (its UTF-8 bytes, exactly as given: invalid sequences and NUL
 * bytes included) into token ids. This is the single definition: Java encodes with it (training,
 * {@code predict}) and {@code io.longshort.graph.text.TextEncoderGraph} builds the serving graph's
 * encoder from it ({@link #vocabularyLines()} becomes the lookup table's asset file), so the two
 * cannot drift. Tests hold the graph's encoding equal to {@link #encode} for every family.
 */
public sealed interface TextTokenizer permits ByteTokenizer, ListOpsTokenizer, FairseqTokenizer {

  /** The id written after the last token (mask 0 there). */
  int padId();

  /** Every token id of the text, untruncated; unknown tokens fail with the token and its position. */
  int[] tokenIds(byte[] text);

  /**
   * The lines of the lookup table's text file, one per line in order, or an empty list when the
   * family needs no table (byte-level ids are computed, not looked up).
   */
  List<String> vocabularyLines();

  /**
   * The byte token {@code id} stands for, or -1 when it stands for none (padding, a special symbol,
   * a word): how a language model's generated ids become bytes again.
   */
  int byteOfId(int id);

  /** The ids and mask of one row of length n: the first n tokens, then padding; how many were cut. */
  default TokenEncoding encode(byte[] text, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("length n (" + n + ") must be >= 1");
    }
    int[] all = tokenIds(text);
    int kept = Math.min(all.length, n);
    int[] ids = new int[n];
    int[] mask = new int[n];
    Arrays.fill(ids, padId());
    System.arraycopy(all, 0, ids, 0, kept);
    Arrays.fill(mask, 0, kept, 1);
    return new TokenEncoding(ids, mask, all.length, all.length - kept);
  }
}
