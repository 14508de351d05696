package io.longshort.train;

import io.longshort.io.HostArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One batch as row-major host arrays by feed name: the model's inputs (e.g. {@code input_ids},
 * {@code mask}, or {@code images}) and {@link #LABELS}. The first dimension of every array is the
 * batch B. {@code realRows} counts the rows of {@code losses}/{@code hits} that are real data (an
 * epoch's last batch may be filled up with padding rows): examples, or positions for language
 * models.
 */
public record FeedBatch(Map<String, HostArray> arrays, int realRows) {
  /** The key of the labels (language models: the next-byte targets). */
  public static final String LABELS = "labels";

  public FeedBatch {
    arrays = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
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
  public FeedBatch rows(int from, int to) {
    Map<String, HostArray> out = new LinkedHashMap<>();
    arrays.forEach((k, v) -> out.put(k, v.rows(from, to)));
    // loss rows per example: 1, or N positions for language models
    HostArray labels = get(LABELS);
    int perExample = Math.toIntExact(java.util.Arrays.stream(labels.shape()).reduce(1, (a, b) -> a * b) / batchSize());
    int real = Math.max(0, Math.min(realRows - from * perExample, (to - from) * perExample));
    return new FeedBatch(out, real);
  }
}
