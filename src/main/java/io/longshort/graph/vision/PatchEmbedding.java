package io.longshort.graph.vision;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Shapes;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * ViL's {@code PatchEmbed} without absolute positions: a p x p convolution with stride p (kept in
 * PyTorch's Conv2d layout (D, Ch, p, p), computed as a reshape to patches and one matmul, which has
 * a gradient and an XLA kernel everywhere), a LayerNorm ({@code norm_embed}) and G learned global
 * tokens ({@code cls_token}, (1, G, D)) in front.
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

  PatchEmbedding(GraphScope<T> s, int channels, int patch, int width, int globals, double epsilon) {
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
    if (g == 0) {
      return tokens;
    }
    // (B, 1, D) zeros + (1, G, D) broadcasts to the learned tokens for every image: (B, G, D)
    Operand<T> first = Shapes.slice(tf, tokens, new long[] {0, 0, 0}, new long[] {-1, 1, d});
    Operand<T> global = tf.math.add(tf.zerosLike(first), globalTokens);
    return Shapes.concat(tf, 1, List.of(global, tokens));
  }
}
