package io.longshort.graph.core;

import io.longshort.graph.attention.Attention;
import io.longshort.graph.attention.AttentionLayer;
import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' pre-LN block: x + mha(norm1(x)), then x + mlpblock(norm2(x)) with mlpblock =
 * Linear (mlpblock.0) -> exact GELU -> Linear (mlpblock.3). With a CLS vector c the attention
 * takes c as its global token and the residual adds [c ; x], so the output has 1 + N rows.
 *
 * <p>Letters: B batch, N length, D width, F hidden width.
 */
public final class TransformerBlock<T extends TFloating> {
  private final GraphScope<T> s;
  private final LayerNorm<T> norm1;
  private final LayerNorm<T> norm2;
  private final AttentionLayer<T> mha;
  private final Linear<T> fc1;
  private final Linear<T> fc2;
  private final Dropout dropout;

  /**
   * Creates the block's parameters (norm1, mha.*, norm2, mlpblock.0, mlpblock.3). A tied block is
   * one instance applied once per layer.
   */
  public TransformerBlock(GraphScope<T> s, AttentionSpec attention, int hiddenWidth, double epsilon, Dropout dropout) {
    this.s = s;
    this.dropout = dropout;
    int d = attention.width();
    norm1 = LayerNorm.create(s.child("norm1"), d, epsilon);
    mha = Attention.create(s.child("mha"), attention);
    norm2 = LayerNorm.create(s.child("norm2"), d, epsilon);
    fc1 = Linear.create(s.child("mlpblock").child("0"), d, hiddenWidth);
    fc2 = Linear.create(s.child("mlpblock").child("3"), hiddenWidth, d);
  }

  /**
   * @param x (B, N, D)
   * @param mask (B, N) 1 token, 0 padding
   * @param cls (B, 1, D) the CLS vector for an attention with an input CLS token, else null
   * @return (B, N, D), or (B, 1 + N, D) with cls
   */
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> cls) {
    Ops tf = s.tf();
    Operand<T> attended = mha.apply(norm1.apply(x), mask, cls);
    Operand<T> residual = cls == null ? x : Shapes.concat(tf, 1, List.of(cls, x));
    Operand<T> h = tf.math.add(residual, dropout.apply(s, attended));
    Operand<T> mlp = dropout.apply(s, fc2.apply(dropout.apply(s, gelu(tf, fc1.apply(norm2.apply(h))))));
    return tf.math.add(h, mlp);
  }

  /** Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), as PyTorch's nn.GELU(). */
  public static <T extends TFloating> Operand<T> gelu(Ops tf, Operand<T> x) {
    Class<T> type = x.type();
    Operand<T> half = tf.constant(type, 0.5);
    Operand<T> erf = tf.math.erf(tf.math.mul(x, tf.constant(type, 1.0 / Math.sqrt(2.0))));
    return tf.math.mul(tf.math.mul(half, x), tf.math.add(tf.constant(type, 1.0), erf));
  }
}
