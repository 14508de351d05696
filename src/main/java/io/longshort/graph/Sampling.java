package io.longshort.graph;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Choosing the next token from a step's logits, in the graph, with static shapes: greedy when the
 * temperature is <= 0; otherwise temperature, top-k and the Gumbel-max trick (argmax of
 * logits + Gumbel noise is a sample of softmax(logits)), the noise a stateless function of
 * (seed, position) so a seed reproduces its tokens.
 *
 * <p>Letters: B batch, V vocabulary.
 */
final class Sampling {
  /** Logit given to tokens outside the top k: exp of it underflows to 0 against any kept one. */
  private static final float DROPPED = -1e30f;

  private Sampling() {}

  /**
   * @param logits (B, V) float32
   * @param temperature scalar; <= 0 means greedy
   * @param topK scalar; <= 0 or >= V keeps every token
   * @param seed scalar int64
   * @param position scalar int32, mixed into the noise's seed
   * @return (B) int32 token ids
   */
  static Operand<TInt32> sample(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> temperature, Operand<TInt32> topK,
      Operand<TInt64> seed, Operand<TInt32> position, int vocab) {
    Operand<TInt32> greedy = tf.dtypes.cast(tf.math.argMax(logits, tf.constant(1)), TInt32.class);
    Operand<TFloat32> scaled = tf.math.div(logits, tf.math.maximum(temperature, tf.constant(1e-6f)));
    // the k-th largest logit of each row, from a full static-size sort: (B, V) -> (B, 1)
    Operand<TFloat32> sorted = tf.nn.topK(scaled, tf.constant(vocab), new TopK.Options[] {TopK.sorted(true)}).values();
    Operand<TInt32> k = tf.select(tf.math.logicalOr(tf.math.lessEqual(topK, tf.constant(0)),
        tf.math.greater(topK, tf.constant(vocab))), tf.constant(vocab), topK);
    Operand<TFloat32> threshold = tf.gather(sorted, Shapes.reshape(tf, tf.math.sub(k, tf.constant(1)), 1),
        tf.constant(1));
    Operand<TFloat32> kept = tf.select(tf.math.less(scaled, threshold), tf.math.add(tf.zerosLike(scaled),
        tf.constant(DROPPED)), scaled);
    // Gumbel noise -log(-log(u)), u uniform in (0, 1)
    Operand<TInt64> noiseSeed = tf.stack(java.util.List.of(seed, tf.dtypes.cast(position, TInt64.class)));
    Operand<TFloat32> u = tf.math.maximum(tf.random.statelessRandomUniform(tf.shape(scaled), noiseSeed),
        tf.constant(1e-20f));
    Operand<TFloat32> gumbel = tf.math.neg(tf.math.log(tf.math.neg(tf.math.log(u))));
    Operand<TInt32> sampled = tf.dtypes.cast(tf.math.argMax(tf.math.add(kept, gumbel), tf.constant(1)), TInt32.class);
    return tf.select(tf.math.greater(temperature, tf.constant(0f)), sampled, greedy);
  }
}
