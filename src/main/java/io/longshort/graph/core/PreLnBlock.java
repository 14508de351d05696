package io.longshort.graph.core;

import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.framework.activations.GELU;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * The pre-LN residual block that the encoder, the vision model and the incremental decoder share:
 * h = residual + dropout(attention(norm1(x))), then h + dropout(fc2(dropout(gelu(fc1(norm2(h)))))).
 * The attention is the caller's (a layer over a sequence, over an image grid, or one cached decode
 * step), given as a function of the normalised input; the block owns the two LayerNorms and the MLP
 * and their parameter names. The authors' LM layer (post-attention order) is not this block.
 *
 * <p>Letters: B batch, N rows (tokens; 1 + N with a CLS row), D width, F hidden width.
 */
public final class PreLnBlock<T extends TFloating> {
  private final GraphScope<T> s;
  private final LayerNorm<T> norm1;
  private final LayerNorm<T> norm2;
  private final Linear<T> fc1;
  private final Linear<T> fc2;
  private final Dropout dropout;

  /**
   * @param s the scope dropout sites are named in
   * @param norm1 the scope of the LayerNorm before the attention
   * @param norm2 the scope of the LayerNorm before the MLP
   * @param fc1 the scope of the MLP's first Linear (D -> F)
   * @param fc2 the scope of its second Linear (F -> D)
   * @param dropout dropout of the attention output, the MLP's hidden layer and its output
   */
  public PreLnBlock(GraphScope<T> s, GraphScope<T> norm1, GraphScope<T> norm2, GraphScope<T> fc1,
      GraphScope<T> fc2, int width, int hiddenWidth, double epsilon, Dropout dropout) {
    this.s = s;
    this.dropout = dropout;
    this.norm1 = LayerNorm.create(norm1, width, epsilon);
    this.norm2 = LayerNorm.create(norm2, width, epsilon);
    this.fc1 = Linear.create(fc1, width, hiddenWidth);
    this.fc2 = Linear.create(fc2, hiddenWidth, width);
  }

  /**
   * The authors' LRA/LM names: {@code norm1}, {@code norm2}, {@code mlpblock.0}, {@code mlpblock.3}
   * under {@code s} (the attention's own parameters go under {@code mha}).
   */
  public static <T extends TFloating> PreLnBlock<T> authors(GraphScope<T> s, int width, int hiddenWidth,
      double epsilon, Dropout dropout) {
    return new PreLnBlock<>(s, s.child("norm1"), s.child("norm2"), s.child("mlpblock").child("0"),
        s.child("mlpblock").child("3"), width, hiddenWidth, epsilon, dropout);
  }

  /**
   * x (B, N, D) -> (B, N, D); the residual is x.
   *
   * @param attention normalised x (B, N, D) -> attention output (B, N, D)
   */
  public Operand<T> apply(Operand<T> x, UnaryOperator<Operand<T>> attention) {
    return apply(x, x, attention);
  }

  /**
   * x (B, N, D) with the attention's residual (B, N', D) -> (B, N', D): an attention that adds rows
   * (a CLS row in front) gives the residual those rows too.
   */
  public Operand<T> apply(Operand<T> residual, Operand<T> x, UnaryOperator<Operand<T>> attention) {
    return applyMlp(applyAttention(residual, x, attention));
  }

  /** The block's first half, residual + dropout(attention(norm1(x))): (B, N', D). */
  public Operand<T> applyAttention(Operand<T> residual, Operand<T> x, UnaryOperator<Operand<T>> attention) {
    // (B, N', D)
    return s.tf().math.add(residual, dropout.apply(s, attention.apply(norm1.applyShared(x))));
  }

  /** The block's second half, h + dropout(fc2(dropout(gelu(fc1(norm2(h)))))): (B, N', D). */
  public Operand<T> applyMlp(Operand<T> h) {
    // (B, N', D) -> (B, N', F) -> (B, N', D)
    Operand<T> mlp = dropout.apply(s, fc2.apply(dropout.apply(s, gelu(s, fc1.apply(norm2.applyShared(h))))));
    return s.tf().math.add(h, mlp);
  }

  /**
   * Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), as PyTorch's nn.GELU(): tensorflow-framework's
   * (Mul, Div, Erf, Add and Cast of scalar constants, all with C++ gradients and XLA kernels).
   */
  public static <T extends TFloating> Operand<T> gelu(Ops tf, Operand<T> x) {
    return GELU.gelu(tf, x, false);
  }

  /**
   * {@link #gelu(Ops, Operand)} in {@code s}: a float32 x that the scope's compiled pieces cover is
   * one piece, with its gradient dy (Phi(x) + x phi(x)) as another (phi the normal density); the
   * plain ops' gradient takes about eight passes over x.
   */
  @SuppressWarnings("unchecked")
  public static <T extends TFloating> Operand<T> gelu(GraphScope<T> s, Operand<T> x) {
    CompiledPieces pieces = s.compiledPieces();
    if (pieces == null || !pieces.covers(x) || x.type() != org.tensorflow.types.TFloat32.class) {
      return gelu(s.tf(), x);
    }
    return (Operand<T>) pieces.callWithGradient(s, "gelu", java.util.List.of(x),
        (fs, a) -> java.util.List.of(gelu(fs.tf(), (Operand<T>) a.get(0))),
        (fs, a) -> {
          Ops tf = fs.tf();
          Operand<T> xs = (Operand<T>) a.get(0);
          Operand<T> cdf = tf.math.mul(fs.scalar(0.5), tf.math.add(fs.scalar(1.0),
              tf.math.erf(tf.math.mul(xs, fs.scalar(1.0 / Math.sqrt(2.0))))));
          Operand<T> pdf = tf.math.mul(fs.scalar(1.0 / Math.sqrt(2.0 * Math.PI)),
              tf.math.exp(tf.math.mul(fs.scalar(-0.5), tf.math.square(xs))));
          return java.util.List.of(tf.math.mul((Operand<T>) a.get(1), tf.math.add(cdf, tf.math.mul(xs, pdf))));
        }).expect(x.type());
  }
}
