package io.longshort.graph.attention;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.PreLnBlock;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * The encoder's block: the shared {@link PreLnBlock} (norm1, norm2, mlpblock.0, mlpblock.3) around
 * an attention layer (mha.*): x + mha(norm1(x)), then x + mlpblock(norm2(x)), mlpblock = Linear ->
 * exact GELU -> Linear. With a CLS vector c the attention takes c as its global token and the
 * residual adds [c ; x], so the output has 1 + N rows.
 *
 * <p>Letters: B batch, N length, D width.
 */
public final class TransformerBlock<T extends TFloating> {
  private final GraphScope<T> s;
  private final PreLnBlock<T> block;
  private final AttentionLayer<T> mha;

  /**
   * Creates the block's parameters (norm1, mha.*, norm2, mlpblock.0, mlpblock.3). A tied block is
   * one instance applied once per layer.
   */
  public TransformerBlock(GraphScope<T> s, AttentionSpec attention, int hiddenWidth, double epsilon, Dropout dropout) {
    this.s = s;
    block = PreLnBlock.authors(s, attention.width(), hiddenWidth, epsilon, dropout);
    mha = Attention.create(s.child("mha"), attention);
  }

  /**
   * @param x (B, N, D)
   * @param mask (B, N) 1 token, 0 padding
   * @param cls (B, 1, D) the CLS vector for an attention with an input CLS token, else null
   * @return (B, N, D), or (B, 1 + N, D) with cls
   */
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> cls) {
    // (B, N, D) or (B, 1 + N, D)
    Operand<T> residual = cls == null ? x : Shapes.concat(s.tf(), 1, List.of(cls, x));
    return block.apply(residual, x, normed -> mha.apply(normed, mask, cls));
  }

  /** {@link #apply}'s first half: x (or [cls ; x]) + dropout(mha(norm1(x))). */
  public Operand<T> applyAttention(Operand<T> x, Operand<T> mask, Operand<T> cls) {
    Operand<T> residual = cls == null ? x : Shapes.concat(s.tf(), 1, List.of(cls, x));
    return block.applyAttention(residual, x, normed -> mha.apply(normed, mask, cls));
  }

  /** {@link #apply}'s second half: h + mlpblock(norm2(h)). */
  public Operand<T> applyMlp(Operand<T> h) {
    return block.applyMlp(h);
  }

  /**
   * Only the CLS row of {@link #apply}'s output, for a last layer whose token rows are discarded:
   * the attention still attends over every token (the CLS query needs their outputs), but its
   * output projection (long-short's W_o), the residual, norm2 and the MLP run on that one row,
   * (B, 1, D), instead of 1 + N rows whose results would be sliced away (and whose gradients would
   * be zeros). The same numbers as
   * apply's first row: everything after the attention is row-wise. Dropout after the attention
   * hashes the (B, 1, D) tensor's element indices, so its masks differ from apply's first row.
   *
   * @param cls (B, 1, D) the CLS vector, not null
   * @return (B, 1, D)
   */
  public Operand<T> applyClsRow(Operand<T> x, Operand<T> mask, Operand<T> cls) {
    // the attention's CLS row (B, 1, D): long-short projects only that row through W_o
    return block.apply(cls, x, normed -> mha.applyClsRow(s.tf(), normed, mask, cls));
  }
}
