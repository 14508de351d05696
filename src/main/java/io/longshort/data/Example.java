package io.longshort.data;

/**
 * One example, compactly: its tokens as bytes (one or two sequences), a label, and how bytes map
 * to ids. ListOps tokens are stored as their ids (offset 0); text bytes as raw bytes with ids
 * byte + 1 (offset 1, so 0 stays padding: ids 1..256); language-model windows as raw bytes with
 * ids = byte (offset 0, vocabulary 256, no padding).
 */
public final class Example {
  /** Label of examples that have none (language-model windows). */
  public static final int NO_LABEL = -1;

  private final byte[] units;
  private final byte[] units1;
  private final int label;
  private final int idOffset;

  private Example(byte[] units, byte[] units1, int label, int idOffset) {
    this.units = units;
    this.units1 = units1;
    this.label = label;
    this.idOffset = idOffset;
  }

  /** ListOps token ids ({@link ListOpsVocab}) and the expression's value. */
  public static Example listOps(byte[] ids, int label) {
    return new Example(ids, null, label, 0);
  }

  /** Text as bytes, ids byte + 1. */
  public static Example text(byte[] bytes, int label) {
    return new Example(bytes, null, label, ByteTokenizer.ID_OFFSET);
  }

  /** A retrieval pair of texts as bytes, ids byte + 1. */
  public static Example pair(byte[] first, byte[] second, int label) {
    return new Example(first, second, label, ByteTokenizer.ID_OFFSET);
  }

  /** A language-model window of N + 1 raw bytes: inputs are the first N, targets the last N. */
  public static Example window(byte[] bytes) {
    return new Example(bytes, null, NO_LABEL, ByteTokenizer.LM_ID_OFFSET);
  }

  public int label() {
    return label;
  }

  public boolean isPair() {
    return units1 != null;
  }

  /** Tokens of the (first) sequence. */
  public int length() {
    return units.length;
  }

  /** Tokens of the second sequence of a pair. */
  public int length1() {
    return units1.length;
  }

  /** Token id at position i of the (first) sequence. */
  public int id(int i) {
    return (units[i] & 0xFF) + idOffset;
  }

  /** Token id at position i of the second sequence. */
  public int id1(int i) {
    return (units1[i] & 0xFF) + idOffset;
  }

  public int[] ids() {
    return ids(units);
  }

  public int[] ids1() {
    return ids(units1);
  }

  private int[] ids(byte[] u) {
    int[] out = new int[u.length];
    for (int i = 0; i < u.length; i++) {
      out[i] = (u[i] & 0xFF) + idOffset;
    }
    return out;
  }

  /** The longer of the sequences: what bucketing sorts by. */
  public int maxLength() {
    return units1 == null ? units.length : Math.max(units.length, units1.length);
  }
}
