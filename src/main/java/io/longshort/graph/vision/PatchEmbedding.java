package io.longshort.graph.vision;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Shapes;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * ViL's {@code PatchEmbed}: a p x p convolution with stride p (kept in PyTorch's Conv2d layout
 * (D, Ch, p, p), computed as a reshape to patches and one matmul, which has a gradient and an XLA
 * kernel everywhere), a LayerNorm ({@code norm_embed}) and G learned global tokens
 * ({@code cls_token}, (1, G, D)) in front; with absolute positions (the authors' {@code a1}) then
 * learned position embeddings added to every token: {@code cls_pos_embed} (1, G, D) to the global
 * ones and, to the patch in row i, column j, [{@code x_pos_embed}[i] ; {@code y_pos_embed}[j]]
 * ((1, X, D/2) each).
 *
 * <p>Letters: B batch, I input grid side, Ch input channels, p patch side, X = I / p (remainder
 * dropped, as a strided convolution), D width, G global tokens.
 */
final class PatchEmbedding<T extends TFloating> {
  private final GraphScope<T> s;
  private final int c;
  private final int p;
  private final int d;
  private final int g;
  private final Operand<T> weight;
  private final Operand<T> bias;
  private final LayerNorm<T> norm;
  private final Operand<T> globalTokens;
  private final Operand<T> globalPositions;
  private final Operand<T> rowPositions;
  private final Operand<T> columnPositions;

  /** {@code gridSide} X is the side of the patch grid this embedding makes: its position tables' length. */
  PatchEmbedding(GraphScope<T> s, int channels, int patch, int width, int globals, double epsilon,
      boolean absolutePositions, int gridSide) {
    this.s = s;
    c = channels;
    p = patch;
    d = width;
    g = globals;
    // PyTorch's Conv2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = Ch p p
    double bound = 1.0 / Math.sqrt((double) c * p * p);
    GraphScope<T> conv = s.child("proj");
    weight = conv.parameter("weight", new long[] {d, c, p, p}, Initializer.uniform(bound));
    bias = conv.parameter("bias", new long[] {d}, Initializer.uniform(bound));
    norm = LayerNorm.create(s.child("norm_embed"), d, epsilon);
    globalTokens = g > 0 ? s.parameter("cls_token", new long[] {1, g, d}, Initializer.normal(0.02)) : null;
    // MsViT keeps cls_pos_embed (1, 0, D) when G = 0: an empty tensor, so no parameter here
    globalPositions = absolutePositions && g > 0
        ? s.parameter("cls_pos_embed", new long[] {1, g, d}, Initializer.normal(0.02)) : null;
    rowPositions = absolutePositions
        ? s.parameter("x_pos_embed", new long[] {1, gridSide, d / 2}, Initializer.normal(0.02)) : null;
    columnPositions = absolutePositions
        ? s.parameter("y_pos_embed", new long[] {1, gridSide, d / 2}, Initializer.normal(0.02)) : null;
  }

  /** grid (B, I, I, Ch) -> (B, G + X*X, D): global tokens, then the patches row-major. */
  Operand<T> apply(Operand<T> grid, int side) {
    Ops tf = s.tf();
    int x = side / p;
    Operand<T> cropped = x * p == side ? grid
        : Shapes.slice(tf, grid, new long[] {0, 0, 0, 0}, new long[] {-1, (long) x * p, (long) x * p, c});
    // (B, X, p, X, p, Ch) -> (B, X, X, Ch, p, p) -> (B, X*X, Ch*p*p), the conv weight's (Ch, p, p) order
    Operand<T> patches = Shapes.transpose(tf, Shapes.reshape(tf, cropped, -1, x, p, x, p, c), 0, 1, 3, 5, 2, 4);
    Operand<T> flat = Shapes.reshape(tf, patches, -1, (long) x * x, (long) c * p * p);
    Operand<T> w2 = Shapes.reshape(tf, weight, d, (long) c * p * p);
    // (B, X*X, D)
    Operand<T> tokens = norm.apply(tf.math.add(
        Shapes.reshape(tf, tf.linalg.matMul(Shapes.reshape(tf, flat, -1, (long) c * p * p), w2,
            org.tensorflow.op.linalg.MatMul.transposeB(true)), -1, (long) x * x, d), bias));
    if (rowPositions != null) {
      // (1, X*X, D) + (B, X*X, D), after norm_embed as in MsViT
      tokens = tf.math.add(tokens, gridPositions(x));
    }
    if (g == 0) {
      return tokens;
    }
    // (B, 1, D) zeros + (1, G, D) broadcasts to the learned tokens for every image: (B, G, D)
    Operand<T> first = Shapes.slice(tf, tokens, new long[] {0, 0, 0}, new long[] {-1, 1, d});
    Operand<T> global = tf.math.add(tf.zerosLike(first), globalTokens);
    if (globalPositions != null) {
      global = tf.math.add(global, globalPositions);
    }
    return Shapes.concat(tf, 1, List.of(global, tokens));
  }

  /** (1, X*X, D): row i, column j holds [x_pos_embed[i] ; y_pos_embed[j]], rows row-major. */
  private Operand<T> gridPositions(int x) {
    Ops tf = s.tf();
    int half = d / 2;
    Operand<TInt32> shape = tf.constant(new int[] {x, x, half});
    // (1, X, D/2) -> (X, 1, D/2) -> (X, X, D/2): the same row embedding along a row
    Operand<T> rows = tf.broadcastTo(Shapes.reshape(tf, rowPositions, x, 1, half), shape);
    // (1, X, D/2) -> (X, X, D/2): the same column embedding down a column
    Operand<T> columns = tf.broadcastTo(Shapes.reshape(tf, columnPositions, 1, x, half), shape);
    return Shapes.reshape(tf, Shapes.concat(tf, 2, List.of(rows, columns)), 1, (long) x * x, d);
  }
}
