package io.longshort.graph.decode;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Choosing the next token from a step's logits, in the graph, with static shapes: greedy when the
 * temperature is <= 0; otherwise temperature, top-k and the Gumbel-max trick (argmax of
 * logits + Gumbel noise is a sample of softmax(logits)), the noise a hash of (row seed, position,
 * token) so a seed reproduces its tokens. Every setting is per row.
 *
 * <p>Letters: B batch, V vocabulary.
 */
final class Sampling {
  /** Logit given to tokens outside the top k: exp of it underflows to 0 against any kept one. */
  private static final float DROPPED = -1e30f;

  private Sampling() {}

  /**
   * @param logits (B, V) float32
   * @param temperature (B); <= 0 means greedy for that row
   * @param topK (B); <= 0 or >= V keeps every token
   * @param seed (B) int64, each row's own: a row's tokens do not depend on the rows batched with it
   * @param position scalar int32, mixed into the noise
   * @return (B) int32 token ids
   */
  static Operand<TInt32> sample(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> temperature, Operand<TInt32> topK,
      Operand<TInt64> seed, Operand<TInt32> position, int vocab) {
    Operand<TInt32> greedy = tf.dtypes.cast(tf.math.argMax(logits, tf.constant(1)), TInt32.class);
    // (B, 1)
    Operand<TFloat32> temp = tf.expandDims(tf.math.maximum(temperature, tf.constant(1e-6f)), tf.constant(1));
    Operand<TFloat32> scaled = tf.math.div(logits, temp);
    // the k-th largest logit of each row, from a full static-size sort: (B, V) -> (B, 1)
    Operand<TFloat32> sorted = tf.nn.topK(scaled, tf.constant(vocab), new TopK.Options[] {TopK.sorted(true)}).values();
    Operand<TInt32> k = tf.select(tf.math.logicalOr(tf.math.lessEqual(topK, tf.constant(0)),
        tf.math.greater(topK, tf.constant(vocab))), tf.math.add(tf.zerosLike(topK), tf.constant(vocab)), topK);
    Operand<TFloat32> threshold = tf.expandDims(tf.gather(sorted, tf.math.sub(k, tf.constant(1)), tf.constant(1),
        Gather.batchDims(1L)), tf.constant(1));
    Operand<TFloat32> kept = tf.select(tf.math.less(scaled, threshold), tf.math.add(tf.zerosLike(scaled),
        tf.constant(DROPPED)), scaled);
    // Gumbel noise -log(-log(u)), u uniform in (0, 1)
    Operand<TFloat32> u = tf.math.maximum(uniform(tf, seed, position, vocab), tf.constant((float) Math.scalb(1.0, -25)));
    Operand<TFloat32> gumbel = tf.math.neg(tf.math.log(tf.math.neg(tf.math.log(u))));
    Operand<TInt32> sampled = tf.dtypes.cast(tf.math.argMax(tf.math.add(kept, gumbel), tf.constant(1)), TInt32.class);
    return tf.select(tf.math.greater(temperature, tf.constant(0f)), sampled, greedy);
  }

  /**
   * (B, V) uniform [0, 1) numbers, multiples of 2^-24, from {@link Dropout}'s integer hash of (row
   * seed, position, token index): the same on every loader and under XLA (StatelessRandomUniform
   * is not), and per row, so TF Serving may batch requests without changing their tokens.
   */
  private static Operand<TFloat32> uniform(Ops tf, Operand<TInt64> seed, Operand<TInt32> position, int vocab) {
    Operand<TInt64> mask = tf.constant(0xFFFFFFFFL);
    // (B, 1) per-row key of (seed, position)
    Operand<TInt64> s0 = Dropout.hash(tf, tf.bitwise.bitwiseAnd(seed, mask));
    Operand<TInt64> s1 = tf.bitwise.bitwiseAnd(tf.math.mul(tf.dtypes.cast(position, TInt64.class),
        tf.constant(0x9E3779B1L)), mask);
    Operand<TInt64> key = tf.expandDims(Dropout.hash(tf, Dropout.hash(tf, tf.bitwise.bitwiseXor(s0, s1))),
        tf.constant(1));
    // (1, V)
    Operand<TInt64> index = Shapes.reshape(tf, tf.range(tf.constant(0L), tf.constant((long) vocab), tf.constant(1L)),
        1, vocab);
    Operand<TInt64> h = Dropout.hash(tf, tf.bitwise.bitwiseAnd(tf.math.add(index, key), mask));
    return tf.math.mul(tf.dtypes.cast(tf.bitwise.rightShift(h, tf.constant(8L)), TFloat32.class),
        tf.constant((float) Math.scalb(1.0, -24)));
  }
}
