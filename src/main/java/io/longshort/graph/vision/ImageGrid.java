package io.longshort.graph.vision;

import io.longshort.graph.attention.AttentionOps;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Static plumbing for attention over an X x Y grid of patches stored row-major as rows of a
 * (B, ..., X*Y, ...) tensor: padding the grid to whole w x w windows, grouping rows by window,
 * overlapping key tiles, cropping back, and constant tables built on the host. Every op is a
 * reshape, transpose, pad, slice or concat with static shapes (no gather with dynamic indices), so
 * every gradient exists and XLA compiles it.
 *
 * <p>Letters: B batch, H heads, K head width, X x Y the image grid, Xp x Yp the grid padded to
 * multiples of w, SX = Xp/w and SY = Yp/w windows, E margin, T = w + 2E tile side, Z any trailing
 * axis.
 */
final class ImageGrid {
  private ImageGrid() {}

  /** (B, X*Y, Z) -> (B, Xp*Yp, Z): zeros to the right of and below the image. */
  static <T extends TFloating> Operand<T> pad(GraphScope<T> s, Operand<T> x, int gx, int gy, int xp, int yp, int c) {
    Ops tf = s.tf();
    Operand<T> grid = Shapes.reshape(tf, x, -1, gx, gy, c);
    grid = Shapes.padAxis(tf, grid, s.scalar(0.0), 4, 1, 0, xp - gx);
    grid = Shapes.padAxis(tf, grid, s.scalar(0.0), 4, 2, 0, yp - gy);
    return Shapes.reshape(tf, grid, -1, (long) xp * yp, c);
  }

  /** (B, H, Xp*Yp, K) -> (B, H, X*Y, K): the image part of a padded grid. */
  static <T extends TFloating> Operand<T> crop(Ops tf, Operand<T> x, int h, int gx, int gy, int xp, int yp, int k) {
    if (gx == xp && gy == yp) {
      return x;
    }
    Operand<T> grid = Shapes.reshape(tf, x, -1, h, xp, yp, k);
    grid = Shapes.slice(tf, grid, new long[] {0, 0, 0, 0, 0}, new long[] {-1, h, gx, gy, k});
    return Shapes.reshape(tf, grid, -1, h, (long) gx * gy, k);
  }

  /** (B, H, Xp*Yp, Z) -> (B, H, SX, SY, w*w, Z): the rows of each window, row-major inside it. */
  static <T extends TFloating> Operand<T> group(Ops tf, Operand<T> x, int h, int sx, int sy, int w, int c) {
    Operand<T> split = Shapes.reshape(tf, x, -1, h, sx, w, sy, w, c);
    return Shapes.reshape(tf, Shapes.transpose(tf, split, 0, 1, 2, 4, 3, 5, 6), -1, h, sx, sy, (long) w * w, c);
  }

  /** The inverse of {@link #group}: (B, H, SX, SY, w*w, Z) -> (B, H, Xp*Yp, Z). */
  static <T extends TFloating> Operand<T> ungroup(Ops tf, Operand<T> x, int h, int sx, int sy, int w, int c) {
    Operand<T> split = Shapes.reshape(tf, x, -1, h, sx, sy, w, w, c);
    return Shapes.reshape(tf, Shapes.transpose(tf, split, 0, 1, 2, 4, 3, 5, 6), -1, h, (long) sx * w * sy * w, c);
  }

  /**
   * (B, H, Xp*Yp, K) -> (B, H, SX, SY, T*T, K): window (i, j) gets the T x T patches
   * [i*w - E, i*w + w + E) x [j*w - E, j*w + w + E), row-major, zeros outside the padded grid.
   * Rows first, then columns, each with {@link AttentionOps#neighbourTiles} (E <= w).
   */
  static <T extends TFloating> Operand<T> tiles(GraphScope<T> s, Operand<T> x, int h, int sx, int sy, int w,
      int e, int k) {
    Ops tf = s.tf();
    int t = w + 2 * e;
    int yp = sy * w;
    // rows: (B, H, SX, T, Yp*K)
    Operand<T> rows = AttentionOps.neighbourTiles(s, x, h, sx, w, yp * k, e, e);
    // columns of every tile row: (B, H*SX*T, SY, T, K)
    Operand<T> both = AttentionOps.neighbourTiles(s, rows, h * sx * t, sy, w, k, e, e);
    // (B, H, SX, T, SY, T, K) -> (B, H, SX, SY, T, T, K)
    Operand<T> split = Shapes.reshape(tf, both, -1, h, sx, t, sy, t, k);
    return Shapes.reshape(tf, Shapes.transpose(tf, split, 0, 1, 2, 4, 3, 5, 6), -1, h, sx, sy, (long) t * t, k);
  }

  /** Whether padded-grid row p (of Xp*Yp) is inside the X x Y image. */
  static boolean inImage(int p, int gx, int gy, int yp) {
    return p / yp < gx && p % yp < gy;
  }

  /** A constant of this scope's dtype with the given shape (values exact in float32: 0, 1, -1e9). */
  static <T extends TFloating> Operand<T> constant(GraphScope<T> s, float[] values, long... shape) {
    Ops tf = s.tf();
    return tf.dtypes.cast(Shapes.reshape(tf, tf.constant(values), shape), s.dtype());
  }
}
