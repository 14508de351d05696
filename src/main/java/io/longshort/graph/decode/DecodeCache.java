package io.longshort.graph.decode;

import io.longshort.graph.core.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * The layout of an incremental decoder's cache: one tensor per {@link Entry}, each (B, rows, cols)
 * with static rows and cols, so a decode step has static shapes (XLA) and a While loop can carry
 * the cache as loop variables. Every entry starts as zeros; which rows are valid follows from the
 * position alone (see {@link CachedLongShortAttention} and {@link CachedFullAttention}).
 *
 * <p>Letters: B batch.
 */
public final class DecodeCache {
  /** One cached tensor: {@code layer<i>/<what>}, (B, rows, cols). */
  public record Entry(String name, long rows, long cols) {}

  private final List<Entry> entries;

  DecodeCache(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  public int size() {
    return entries.size();
  }

  /** Floats held per batch row: what one sequence's cache costs. */
  public long floatsPerRow() {
    return entries.stream().mapToLong(e -> e.rows() * e.cols()).sum();
  }

  /** The empty cache for {@code batch} rows (a scalar int32, known at run time only). */
  public <T extends TFloating> List<Operand<T>> zeros(Ops tf, Class<T> dtype, Operand<TInt32> batch) {
    List<Operand<T>> out = new ArrayList<>();
    for (Entry e : entries) {
      // (3) int32 shape [B, rows, cols]
      Operand<TInt32> shape = tf.concat(List.of(Shapes.reshape(tf, batch, 1),
          tf.constant(new int[] {Math.toIntExact(e.rows()), Math.toIntExact(e.cols())})), tf.constant(0));
      out.add(tf.zeros(shape, dtype));
    }
    return out;
  }
}
