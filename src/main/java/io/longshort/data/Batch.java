package io.longshort.data;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One batch as flat row-major int32 arrays of shape (B, N): ids (0 = padding), masks (1 token,
 * 0 padding) and labels (B) or next-token targets (B, N). When the last batch of an epoch has
 * fewer examples than B (and the remainder is kept), the missing rows are all padding (mask 0,
 * label 0) and {@link #rows()} says how many rows are real.
 */
public final class Batch {
  private final BatchKind kind;
  private final int batchSize;
  private final int length;
  private final int rows;
  private final int[] exampleIndices;
  private final int[] inputIds;
  private final int[] mask;
  private final int[] inputIds1;
  private final int[] mask1;
  private final int[] labels;
  private final int[] targets;

  Batch(BatchKind kind, int batchSize, int length, int[] exampleIndices, int[] inputIds, int[] mask,
      int[] inputIds1, int[] mask1, int[] labels, int[] targets) {
    this.kind = kind;
    this.batchSize = batchSize;
    this.length = length;
    this.rows = exampleIndices.length;
    this.exampleIndices = exampleIndices;
    this.inputIds = inputIds;
    this.mask = mask;
    this.inputIds1 = inputIds1;
    this.mask1 = mask1;
    this.labels = labels;
    this.targets = targets;
  }

  public BatchKind kind() { return kind; }
  /** B. */
  public int batchSize() { return batchSize; }
  /** N. */
  public int length() { return length; }
  /** Real (non-padding) rows: B except perhaps in an epoch's last batch. */
  public int rows() { return rows; }
  /** Which examples of the source fill rows 0..rows-1. */
  public int[] exampleIndices() { return exampleIndices; }
  /** (B, N) ids of the (first) sequence. */
  public int[] inputIds() { return inputIds; }
  /** (B, N) mask of the (first) sequence. */
  public int[] mask() { return mask; }
  /** (B, N) ids of the second sequence (retrieval), else null. */
  public int[] inputIds1() { return inputIds1; }
  /** (B, N) mask of the second sequence (retrieval), else null. */
  public int[] mask1() { return mask1; }
  /** (B) labels (classification, retrieval), else null. */
  public int[] labels() { return labels; }
  /** (B, N) next-token targets (language model), else null. */
  public int[] targets() { return targets; }

  /** Shape {B, N} of the id and mask arrays. */
  public long[] shape() {
    return new long[] {batchSize, length};
  }

  /**
   * The arrays by the model input names of ModelGraph ({@code input_ids}, {@code mask}, or
   * {@code input_ids_0}, {@code mask_0}, {@code input_ids_1}, {@code mask_1}) plus {@code labels}
   * or {@code targets}.
   */
  public Map<String, int[]> arrays() {
    Map<String, int[]> m = new LinkedHashMap<>();
    switch (kind) {
      case RETRIEVAL -> {
        m.put("input_ids_0", inputIds);
        m.put("mask_0", mask);
        m.put("input_ids_1", inputIds1);
        m.put("mask_1", mask1);
        m.put("labels", labels);
      }
      case CLASSIFICATION -> {
        m.put("input_ids", inputIds);
        m.put("mask", mask);
        m.put("labels", labels);
      }
      case LANGUAGE_MODEL -> {
        m.put("input_ids", inputIds);
        m.put("mask", mask);
        m.put("targets", targets);
      }
    }
    return m;
  }
}
