package io.longshort.graph.attention;

import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
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

  /**
   * Only the CLS row of {@link #apply}'s output, (B, 1, D), for a last layer whose token rows are
   * discarded: by default apply's first row; a layer may leave out the token rows' output
   * projection.
   *
   * @param clsToken (B, 1, D), not null
   */
  default Operand<T> applyClsRow(Ops tf, Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int d = Shapes.staticDim(x, 2, "attention input x");
    return Shapes.slice(tf, apply(x, mask, clsToken), new long[] {0, 0, 0},
        new long[] {-1, 1, d});
  }
}
