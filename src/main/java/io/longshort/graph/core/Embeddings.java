package io.longshort.graph.core;

import io.longshort.spec.Positions;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Token + absolute position embeddings, as the authors' {@code Embeddings}: parameters
 * {@code word_embeddings.weight} (V, D) and, for learned positions, {@code position_embeddings.weight}
 * (maxLength, D); both start from N(0, 0.02^2).
 *
 * <p>Letters: B batch, N length, D width, V vocabulary.
 */
public final class Embeddings<T extends TFloating> {
  private final GraphScope<T> s;
  private final int width;
  private final int maxLength;
  private final Positions positions;
  private final Operand<T> words;
  private final Operand<T> positionTable;

  public Embeddings(GraphScope<T> s, int vocabSize, int width, int maxLength, Positions positions) {
    this.s = s;
    this.width = width;
    this.maxLength = maxLength;
    this.positions = positions;
    this.words = s.child("word_embeddings").parameter("weight", new long[] {vocabSize, width}, Initializer.normal(0.02));
    this.positionTable = positions == Positions.LEARNED
        ? s.child("position_embeddings").parameter("weight", new long[] {maxLength, width}, Initializer.normal(0.02))
        : null;
  }

  /** The (V, D) token table, for tied output projections. */
  public Operand<T> table() {
    return words;
  }

  /** ids (B, N) int32 -> (B, N, D). */
  public Operand<T> apply(Operand<TInt32> ids) {
    Ops tf = s.tf();
    int n = Shapes.staticDim(ids, 1, "input_ids");
    if (n > maxLength) {
      throw new IllegalArgumentException("input length (" + n + ") exceeds maxLength (" + maxLength
          + "), the number of positions the model knows");
    }
    Operand<T> tokens = tf.gather(words, ids, tf.constant(0));
    Operand<T> pos = positions == Positions.LEARNED
        ? Shapes.slice(tf, positionTable, new long[] {0, 0}, new long[] {n, width})
        : sinusoidal(n);
    return tf.math.add(tokens, pos);
  }

  /**
   * One position for a whole batch, for incremental decoding: ids (B) int32 at position p (a
   * scalar int32, 0 &lt;= p &lt; maxLength for learned positions) -> (B, D), the same rows as
   * {@link #apply} gives at p.
   */
  public Operand<T> applyAt(Operand<TInt32> ids, Operand<TInt32> position) {
    Ops tf = s.tf();
    // (B, D) + (1, D)
    Operand<T> tokens = tf.gather(words, ids, tf.constant(0));
    Operand<T> pos = positions == Positions.LEARNED
        ? tf.gather(positionTable, Shapes.reshape(tf, position, 1), tf.constant(0))
        : sinusoidalAt(position);
    return tf.math.add(tokens, pos);
  }

  /** Row p of the sinusoidal table: (1, D), computed as {@link #sinusoidal} does. */
  private Operand<T> sinusoidalAt(Operand<TInt32> position) {
    Ops tf = s.tf();
    Operand<TFloat32> p = Shapes.reshape(tf, tf.dtypes.cast(position, TFloat32.class), 1, 1);
    float[] freq = frequencies();
    Operand<TFloat32> angles = tf.math.mul(p, Shapes.reshape(tf, tf.constant(freq), 1, freq.length));
    Operand<TFloat32> row = Shapes.reshape(tf, tf.stack(java.util.List.of(tf.math.sin(angles), tf.math.cos(angles)),
        org.tensorflow.op.core.Stack.axis(2L)), 1, 2L * freq.length);
    if (2 * freq.length != width) {
      row = Shapes.slice(tf, row, new long[] {0, 0}, new long[] {1, width});
    }
    return tf.dtypes.cast(row, s.dtype());
  }

  private float[] frequencies() {
    float[] freq = new float[width / 2 + width % 2];
    for (int i = 0; i < freq.length; i++) {
      freq[i] = (float) Math.exp(2 * i * -(Math.log(10000.0) / width));
    }
    return freq;
  }

  public int maxLength() {
    return maxLength;
  }

  public Positions positions() {
    return positions;
  }

  /**
   * The authors' fixed table, interleaved: row p = [sin(p w_0), cos(p w_0), sin(p w_1), ...] with
   * w_i = 10000^(-2i/D). Built from a range at run time, so no (N, D) constant sits in the graph.
   */
  private Operand<T> sinusoidal(int n) {
    Ops tf = s.tf();
    Operand<TFloat32> p = Shapes.reshape(tf, tf.dtypes.cast(
        tf.range(tf.constant(0), tf.constant(n), tf.constant(1)), TFloat32.class), n, 1);
    float[] freq = frequencies();
    // (N, D/2) angles -> (N, D/2, 2) [sin, cos] -> (N, D)
    Operand<TFloat32> angles = tf.math.mul(p, Shapes.reshape(tf, tf.constant(freq), 1, freq.length));
    Operand<TFloat32> table = Shapes.reshape(tf, tf.stack(java.util.List.of(tf.math.sin(angles), tf.math.cos(angles)),
        org.tensorflow.op.core.Stack.axis(2L)), n, 2L * freq.length);
    if (2 * freq.length != width) {
      table = Shapes.slice(tf, table, new long[] {0, 0}, new long[] {n, width});
    }
    return tf.dtypes.cast(table, s.dtype());
  }
}
