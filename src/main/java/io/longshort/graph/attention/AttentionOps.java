package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceMax;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Pieces shared by the attention emitters.
 *
 * <p>Letters (the table in {@code io.longshort.graph}'s package-info): B batch, N length, D width, H
 * heads, K head width, W window (block length), Q blocks; A and Z stand for any axes passed through.
 */
public final class AttentionOps {
  /**
   * Added to the logit of every excluded key. Finite on purpose: a row with no key left (a padded
   * query) then gives finite probabilities that are zeroed afterwards, where -inf would give NaN
   * in the forward pass and in every gradient behind it. exp(-1e9) underflows to exactly 0, so
   * rows with at least one key are the same as with -inf.
   */
  public static final double EXCLUDED = -1e9;

  private AttentionOps() {}

  /** (B, N, D) -> (B, H, N, K). */
  public static <T extends TFloating> Operand<T> splitHeads(Ops tf, Operand<T> x, int n, int h, int k) {
    return Shapes.transpose(tf, Shapes.reshape(tf, x, -1, n, h, k), 0, 2, 1, 3);
  }

  /** (B, H, N, K) -> (B, N, D). */
  public static <T extends TFloating> Operand<T> mergeHeads(Ops tf, Operand<T> x, int n, int h, int k) {
    return Shapes.reshape(tf, Shapes.transpose(tf, x, 0, 2, 1, 3), -1, n, (long) h * k);
  }

  /** 0 where valid is 1, {@link #EXCLUDED} where valid is 0. */
  public static <T extends TFloating> Operand<T> exclusionBias(GraphScope<T> s, Operand<T> valid) {
    Ops tf = s.tf();
    return tf.math.mul(tf.math.sub(valid, s.scalar(1.0)), s.scalar(-EXCLUDED));
  }

  /**
   * Softmax over the last axis, computed in float32 at least (the authors' fp32 softmax), so
   * bfloat16 graphs keep their attention weights accurate.
   */
  public static <T extends TFloating> Operand<T> softmax(Ops tf, Operand<T> logits) {
    Class<T> type = logits.type();
    if (type == TBfloat16.class || type == TFloat16.class) {
      Operand<TFloat32> wide = tf.dtypes.cast(logits, TFloat32.class);
      return tf.dtypes.cast(tf.nn.softmax(wide), type);
    }
    return tf.nn.softmax(logits);
  }

  /**
   * One softmax over the last axis of several logit blocks taken together, as if they were
   * concatenated, returned as blocks of the same shapes, each times {@code keep} (null = 1):
   * softmax([a ; b]) = [exp(a - m) ; exp(b - m)] / (sum exp(a - m) + sum exp(b - m)). Concatenating
   * the logits and slicing the probabilities apart again would copy the layer's largest tensor
   * twice. The shift m (the rows' maximum) cancels out of the result, so its gradient is stopped.
   * Half-precision blocks are computed in float32 like {@link #softmax}.
   */
  public static <T extends TFloating> List<Operand<T>> jointSoftmax(Ops tf, List<Operand<T>> blocks,
      Operand<T> keep) {
    Class<T> type = blocks.get(0).type();
    if (type == TBfloat16.class || type == TFloat16.class) {
      List<Operand<TFloat32>> wide = new ArrayList<>();
      for (Operand<T> b : blocks) {
        wide.add(tf.dtypes.cast(b, TFloat32.class));
      }
      List<Operand<T>> out = new ArrayList<>();
      for (Operand<TFloat32> p : jointSoftmax(tf, wide, keep == null ? null : tf.dtypes.cast(keep, TFloat32.class))) {
        out.add(tf.dtypes.cast(p, type));
      }
      return out;
    }
    Operand<TInt32> last = tf.constant(-1);
    Operand<T> max = null;
    for (Operand<T> b : blocks) {
      Operand<T> m = tf.reduceMax(b, last, ReduceMax.keepDims(true));
      max = max == null ? m : tf.math.maximum(max, m);
    }
    max = tf.stopGradient(max);
    List<Operand<T>> exps = new ArrayList<>();
    Operand<T> total = null;
    for (Operand<T> b : blocks) {
      Operand<T> e = tf.math.exp(tf.math.sub(b, max));
      exps.add(e);
      Operand<T> sum = tf.reduceSum(e, last, ReduceSum.keepDims(true));
      total = total == null ? sum : tf.math.add(total, sum);
    }
    Operand<T> scale = keep == null ? tf.math.reciprocal(total) : tf.math.div(keep, total);
    List<Operand<T>> probs = new ArrayList<>();
    for (Operand<T> e : exps) {
      probs.add(tf.math.mul(e, scale));
    }
    return probs;
  }

  /**
   * Gives every block of W rows its neighbours: (B, A, Q*W, Z) -> (B, A, Q, before + W + after, Z),
   * block q holding rows [q*W - before, q*W + W + after) with zeros outside [0, Q*W).
   * Requires before, after &lt;= W, so only the adjacent blocks are involved: pads, slices, at most
   * one split and one concat, no gather, and every op has a gradient and an XLA kernel. No tensor here has
   * more than two uses, so every gradient sum is of two terms, whose order cannot change
   * ({@link io.longshort.graph.core.FanOut} says why three or more would).
   */
  public static <T extends TFloating> Operand<T> neighbourTiles(GraphScope<T> s, Operand<T> x, int xDim,
      int segments, int w, int yDim, int before, int after) {
    return neighbourTiles(s, x, xDim, segments, w, yDim, before, after, null);
  }

  /**
   * {@link #neighbourTiles(GraphScope, Operand, int, int, int, int, int, int)} with {@code prefix}
   * (B, A, Q, P, Z) (or null) put before every tile's rows in the same concat:
   * (B, A, Q, P + before + W + after, Z).
   */
  public static <T extends TFloating> Operand<T> neighbourTiles(GraphScope<T> s, Operand<T> x, int xDim,
      int segments, int w, int yDim, int before, int after, Operand<T> prefix) {
    Ops tf = s.tf();
    Operand<T> zero = s.scalar(0.0);
    // (B, A, Q, W, Z)
    Operand<T> blocks = Shapes.reshape(tf, x, -1, xDim, segments, w, yDim);
    Operand<T> left = null;
    Operand<T> right = null;
    if (before > 0 && after > 0 && before + after > w) {
      // the margins overlap (W = 1: both are the whole block): (B, A, Q + 2, W, Z), one zero block
      // each side, where block q's left and right neighbours are blocks q and q + 2. Blocks has two
      // uses (this pad and the concat), the padded copy two (the margins).
      Operand<T> padded = Shapes.padAxis(tf, blocks, zero, 5, 2, 1, 1);
      // (B, A, Q, before, Z) and (B, A, Q, after, Z)
      left = Shapes.slice(tf, padded, new long[] {0, 0, 0, w - before, 0},
          new long[] {-1, xDim, segments, before, yDim});
      right = Shapes.slice(tf, padded, new long[] {0, 0, 2, 0, 0}, new long[] {-1, xDim, segments, after, yDim});
    } else {
      // every block's last `before` rows (B, A, Q, before, Z) and first `after` rows (B, A, Q,
      // after, Z): with both margins, one SplitV of the rows, so that blocks has two uses (this
      // and the concat); each margin is then shifted by one block, zeros at the end. Slicing the two
      // margins from blocks directly would give it three uses, and so a gradient sum of three.
      // (B, A, Q - 1, before, Z): the last rows of blocks 0 .. Q-2; (B, A, Q - 1, after, Z): the
      // first rows of blocks 1 .. Q-1
      Operand<T> lastRows = null;
      Operand<T> firstRows = null;
      if (before > 0 && after > 0) {
        List<org.tensorflow.Output<T>> rows = tf.splitV(blocks, tf.constant(new int[] {after, w - before - after,
            before}), tf.constant(3), 3L).output();
        firstRows = Shapes.slice(tf, rows.get(0), new long[] {0, 0, 1, 0, 0},
            new long[] {-1, xDim, segments - 1, after, yDim});
        lastRows = Shapes.slice(tf, rows.get(2), new long[] {0, 0, 0, 0, 0},
            new long[] {-1, xDim, segments - 1, before, yDim});
      } else if (before > 0) {
        lastRows = Shapes.slice(tf, blocks, new long[] {0, 0, 0, w - before, 0},
            new long[] {-1, xDim, segments - 1, before, yDim});
      } else if (after > 0) {
        firstRows = Shapes.slice(tf, blocks, new long[] {0, 0, 1, 0, 0},
            new long[] {-1, xDim, segments - 1, after, yDim});
      }
      if (lastRows != null) {
        // last `before` rows of block q-1, zeros for q = 0: (B, A, Q, before, Z)
        left = Shapes.padAxis(tf, lastRows, zero, 5, 2, 1, 0);
      }
      if (firstRows != null) {
        // first `after` rows of block q+1, zeros for the last block: (B, A, Q, after, Z)
        right = Shapes.padAxis(tf, firstRows, zero, 5, 2, 0, 1);
      }
    }
    List<Operand<T>> parts = new java.util.ArrayList<>();
    if (prefix != null) {
      parts.add(prefix);
    }
    if (left != null) {
      parts.add(left);
    }
    parts.add(blocks);
    if (right != null) {
      parts.add(right);
    }
    return Shapes.concat(tf, 3, parts);
  }

  /**
   * A two-operand Einsum. For batched products this is the fast form on CPU: TensorFlow's oneDNN
   * build runs {@code _MklEinsum}, and Einsum's C++ gradient is Einsum again, while
   * {@code tf.train.batchMatMul}'s {@code BatchMatMulV3} (and the gradient of every BatchMatMul
   * version) runs Eigen's kernel, several times slower on small matrices such as the window blocks.
   */
  public static <T extends TFloating> Operand<T> einsum(Ops tf, String equation, Operand<T> a, Operand<T> b) {
    return tf.linalg.einsum(List.of(a, b), equation);
  }

  /**
   * a @ b (b transposed when {@code transposeB}) over the leading batch axes, as an {@link #einsum}.
   * Both operands have the same rank and the same batch sizes: Einsum's gradient does not broadcast.
   * One operand's rank may be unknown at graph time (inside a loop body): the other's is taken.
   */
  public static <T extends TFloating> Operand<T> matmul(Ops tf, Operand<T> a, Operand<T> b, boolean transposeB) {
    int rankA = a.shape().numDimensions();
    int rankB = b.shape().numDimensions();
    int rank = rankA < 0 ? rankB : rankA;
    if ((rankB >= 0 && rankB != rank) || rank < 2 || rank > 6) {
      throw new IllegalArgumentException("matmul: operands of rank " + rank + " and " + b.shape().numDimensions()
          + " (shapes " + a.shape() + ", " + b.shape() + "); both must have the same rank, 2 to 6");
    }
    String lead = "abcd".substring(0, rank - 2);
    return einsum(tf, lead + "ij," + lead + (transposeB ? "kj" : "jk") + "->" + lead + "ik", a, b);
  }

  /** Ones of shape (B, N) for a (B, N, D) input, when the caller gives no mask. */
  static <T extends TFloating> Operand<T> onesMask(Ops tf, Operand<T> x) {
    Operand<T> firstFeature = Shapes.slice(tf, x, new long[] {0, 0, 0}, new long[] {-1, -1, 1});
    return tf.onesLike(tf.squeeze(firstFeature, org.tensorflow.op.core.Squeeze.axis(List.of(2L))));
  }

  /** Zero-pads axis 1 of x (B, N, ...) to n rows. */
  static <T extends TFloating> Operand<T> padLength(GraphScope<T> s, Operand<T> x, int rank, int from, int to) {
    return Shapes.padAxis(s.tf(), x, s.scalar(0.0), rank, 1, 0, to - from);
  }

  /** x[:, :, :n] of a (B, H, Np, K) tensor. */
  static <T extends TFloating> Operand<T> cropRows(Ops tf, Operand<T> x, int h, int n, int k) {
    return Shapes.slice(tf, x, new long[] {0, 0, 0, 0}, new long[] {-1, h, n, k});
  }

  public static int roundUp(int n, int multiple) {
    return (n + multiple - 1) / multiple * multiple;
  }
}
