package io.longshort.graph.attention;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * One attention layer whose parameters exist; {@link #apply} may be called more than once (tied
 * layers share them). Letters: B batch, N length, D width.
 */
interface AttentionLayer<T extends TFloating> {
  /**
   * @param x (B, N, D)
   * @param mask (B, N), 1 for tokens and 0 for padding
   * @param clsToken (B, 1, D) or null
   * @return (B, N, D), or (B, 1 + N, D) when a CLS token takes part
   */
  Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken);
}
