package io.longshort.data;

import io.longshort.io.HostArray;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One batch as row-major host arrays by feed name: the model's inputs (for example
 * {@code input_ids} and {@code mask}, {@code input_ids_0} ... {@code mask_1} for retrieval, or
 * {@code images}) and {@link #LABELS} (B class ids, or (B, N) next-token targets for language
 * models). The first dimension of every array is the batch B. When an epoch's last batch has
 * fewer examples than B, the missing rows are padding (ids 0, mask 0, label 0) and
 * {@link #realRows()} counts the loss rows that are real data: examples, or positions for
 * language models.
 */
public final class Batch {
  /** The key of the labels (language models: the next-token targets). */
  public static final String LABELS = "labels";

  private final Map<String, HostArray> arrays;
  private final int realRows;
  private final int[] exampleIndices;

  /** A batch whose rows come from no indexed source (images, a replica's shard). */
  public Batch(Map<String, HostArray> arrays, int realRows) {
    this(arrays, realRows, null);
  }

  /** @param exampleIndices which examples of the source fill the real rows, in order */
  public Batch(Map<String, HostArray> arrays, int realRows, int[] exampleIndices) {
    if (arrays.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one array");
    }
    this.arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
    this.realRows = realRows;
    this.exampleIndices = exampleIndices == null ? null : exampleIndices.clone();
  }

  /** The arrays by feed name, in the order the batch was built. */
  public Map<String, HostArray> arrays() {
    return arrays;
  }

  /** Loss rows that are real data: examples, or positions for language models. */
  public int realRows() {
    return realRows;
  }

  /** Which examples of the source fill rows 0.. (a {@link Batcher}'s batches), else null. */
  public int[] exampleIndices() {
    return exampleIndices == null ? null : exampleIndices.clone();
  }

  /** B, the rows of the first dimension. */
  public int batchSize() {
    return Math.toIntExact(arrays.values().iterator().next().shape()[0]);
  }

  public HostArray get(String name) {
    HostArray a = arrays.get(name);
    if (a == null) {
      throw new IllegalArgumentException("the batch has no '" + name + "'; it has " + arrays.keySet());
    }
    return a;
  }

  /** Rows [from, to) of every array (a replica's shard), with the real rows among them. */
  public Batch rows(int from, int to) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    arrays.forEach((k, v) -> out.put(k, v.rows(from, to)));
    // loss rows per example: 1, or N positions for language models
    HostArray labels = get(LABELS);
    int perExample = Math.toIntExact(Arrays.stream(labels.shape()).reduce(1, (a, b) -> a * b) / batchSize());
    int real = Math.max(0, Math.min(realRows - from * perExample, (to - from) * perExample));
    return new Batch(out, real);
  }
}
