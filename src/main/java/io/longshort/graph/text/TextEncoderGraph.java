package io.longshort.graph.text;

import io.longshort.data.ByteTokenizer;
import io.longshort.data.FairseqTokenizer;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.TextTokenizer;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssertThat;
import org.tensorflow.op.core.HashTable;
import org.tensorflow.op.core.InitializeTableFromTextFile;
import org.tensorflow.op.io.DecodePaddedRaw;
import org.tensorflow.op.strings.StringLength;
import org.tensorflow.op.strings.StringSplit;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Builds the in-graph encoder of a {@link TextTokenizer}: strings (B) in, {@link TextEncoding} out,
 * core ops only. Byte families read each string's bytes with {@code DecodePaddedRaw} (which cuts or
 * zero-pads to N bytes) and mask by {@code StringLength}; ListOps splits with
 * {@code StaticRegexReplace} + {@code StringSplitV2} and looks tokens up in a {@code HashTableV2}
 * filled from the tokenizer's vocabulary file; the fairseq LM maps each byte through a table
 * filled from its 256-line file. Every family pads and truncates to N in-graph.
 */
public final class TextEncoderGraph {
  /** Key/value columns of InitializeTableFromTextFileV2: the whole line, the line number. */
  private static final long WHOLE_LINE = -2;
  private static final long LINE_NUMBER = -1;
  private static final long FIRST_COLUMN = 0;

  private TextEncoderGraph() {}

  /**
   * @param tf where to build (its name scope prefixes every op)
   * @param tokenizer the definition Java encodes with
   * @param strings the texts, (B) string, bytes as they are
   * @param n the row length N
   * @param vocabularyFile the table's file as written from {@link TextTokenizer#vocabularyLines()};
   *     ignored (may be null) for byte-level text
   */
  public static TextEncoding build(Ops tf, TextTokenizer tokenizer, Operand<TString> strings, int n,
      String vocabularyFile) {
    if (n < 1) {
      throw new IllegalArgumentException("length n (" + n + ") must be >= 1");
    }
    if (tokenizer instanceof ListOpsTokenizer) {
      return listOps(tf, tokenizer, strings, n, vocabularyFile);
    }
    if (tokenizer instanceof FairseqTokenizer || tokenizer instanceof ByteTokenizer) {
      return bytes(tf, tokenizer, strings, n, vocabularyFile);
    }
    throw new IllegalArgumentException("no graph encoder for tokenizer " + tokenizer.getClass().getSimpleName());
  }

  private static TextEncoding bytes(Ops tf, TextTokenizer tokenizer, Operand<TString> strings, int n,
      String vocabularyFile) {
    // (B, N) uint8: the first N bytes of each string, zeros after its end
    Operand<TInt32> raw = tf.dtypes.cast(
        tf.io.decodePaddedRaw(strings, tf.constant(n), TUint8.class, DecodePaddedRaw.littleEndian(true)),
        TInt32.class);
    Operand<TInt32> length = tf.strings.stringLength(strings, StringLength.unit("BYTE")); // (B)
    // (B, N): position < length
    Operand<TBool> inText = tf.math.less(
        tf.expandDims(tf.range(tf.constant(0), tf.constant(n), tf.constant(1)), tf.constant(0)),
        tf.expandDims(length, tf.constant(1)));
    Operand<TInt32> ids;
    HashTable table = null;
    Operand<TString> path = null;
    org.tensorflow.op.Op init = null;
    if (tokenizer instanceof ByteTokenizer b) {
      ids = tf.math.add(raw, tf.constant(b.idOffset())); // (B, N)
    } else {
      path = tf.withName("vocabulary_file").constant(requireFile(vocabularyFile));
      table = tf.withName("byte_ids").hashTable(TInt64.class, TInt64.class,
          HashTable.sharedName(tf.scope().makeOpName("byte_ids")));
      // line b of the file holds the id of byte b
      init = tf.withName("init_byte_ids").initializeTableFromTextFile(table, path, LINE_NUMBER, FIRST_COLUMN,
          InitializeTableFromTextFile.vocabSize(256L));
      ids = tf.dtypes.cast(tf.lookupTableFind(table, tf.dtypes.cast(raw, TInt64.class), tf.constant(-1L)),
          TInt32.class); // (B, N)
    }
    Operand<TInt32> padded = tf.withName("ids").select(inText, ids, tf.fill(tf.shape(ids), tf.constant(tokenizer.padId())));
    Operand<TInt32> mask = tf.withName("mask").dtypes.cast(inText, TInt32.class);
    Operand<TInt32> truncated = tf.withName("truncated").math.maximum(
        tf.math.sub(length, tf.constant(n)), tf.constant(0));
    return new TextEncoding(padded, mask, tf.withName("tokens").identity(length), truncated, init, path);
  }

  private static TextEncoding listOps(Ops tf, TextTokenizer tokenizer, Operand<TString> strings, int n,
      String vocabularyFile) {
    // The Java tokenizer breaks tokens at space, tab, CR, LF and the parentheses, and ']' is a token
    // of its own. StringSplitV2 with an empty separator also breaks at \v and \f, which Java keeps
    // inside a token: they become \x01 first, so such a token stays one token and stays unknown.
    Operand<TString> s = tf.strings.staticRegexReplace(strings, "[\\x0b\\x0c]", "\\x01");
    s = tf.strings.staticRegexReplace(s, "[()]", " ");
    s = tf.strings.staticRegexReplace(s, "\\]", " ] ");
    StringSplit split = tf.strings.stringSplit(s, tf.constant("")); // sparse (B, max tokens)
    Operand<TString> path = tf.withName("vocabulary_file").constant(requireFile(vocabularyFile));
    HashTable table = tf.withName("token_ids").hashTable(TString.class, TInt64.class,
        HashTable.sharedName(tf.scope().makeOpName("token_ids")));
    // the id of a token is its line number; non-token lines start with a space and never match
    org.tensorflow.op.Op init = tf.withName("init_token_ids").initializeTableFromTextFile(table, path,
        WHOLE_LINE, LINE_NUMBER, InitializeTableFromTextFile.vocabSize((long) tokenizer.vocabularyLines().size()));
    Operand<TInt64> found = tf.lookupTableFind(table, split.values(), tf.constant(-1L)); // (T)
    Operand<TBool> unknown = tf.math.less(found, tf.constant(0L));
    AssertThat known = tf.withName("known_tokens").assertThat(
        tf.math.logicalNot(tf.reduceAny(unknown, tf.constant(0))),
        List.of(tf.constant("unknown ListOps token(s) (tokens are 0-9, [MIN, [MAX, [MED, [SM and ]):"),
            tf.gatherNd(split.values(), tf.where(unknown))));
    Operand<TInt32> tokenIds = tf.withControlDependencies(List.of(known)).dtypes.cast(found, TInt32.class);

    Operand<TInt64> batch = tf.shape(strings, TInt64.class); // [B]
    Operand<TInt64> dense = tf.concat(List.of(batch, tf.constant(new long[] {n})), tf.constant(0)); // [B, N]
    var kept = tf.sparse.sparseSlice(split.indices(), tokenIds, split.shape(), tf.constant(new long[] {0, 0}), dense);
    Operand<TInt32> ids = tf.withName("ids").sparse.sparseToDense(kept.outputIndices(), dense, kept.outputValues(),
        tf.constant(tokenizer.padId()));
    Operand<TInt32> mask = tf.withName("mask").sparse.sparseToDense(kept.outputIndices(), dense,
        tf.onesLike(kept.outputValues()), tf.constant(0));
    // tokens per row before truncation: count the split's tokens by their row
    Operand<TInt64> rows = tf.gather(split.indices(), tf.constant(0), tf.constant(1)); // (T)
    Operand<TInt32> tokens = tf.withName("tokens").math.unsortedSegmentSum(
        tf.onesLike(tokenIds), rows, tf.gather(batch, tf.constant(0), tf.constant(0)));
    Operand<TInt32> truncated = tf.withName("truncated").math.maximum(tf.math.sub(tokens, tf.constant(n)),
        tf.constant(0));
    return new TextEncoding(ids, mask, tokens, truncated, init, path);
  }

  private static String requireFile(String vocabularyFile) {
    if (vocabularyFile == null || vocabularyFile.isEmpty()) {
      throw new IllegalArgumentException("vocabulary file: required for a tokenizer with a lookup table");
    }
    return vocabularyFile;
  }
}
