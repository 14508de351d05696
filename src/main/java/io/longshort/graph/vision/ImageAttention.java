package io.longshort.graph.vision;

import io.longshort.graph.core.GraphScope;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.ImageAttentionSpec;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/** Emits 2-D attention of either image kind behind one call. */
public final class ImageAttention {
  private ImageAttention() {}

  /**
   * Creates the layer's parameters under {@code s} and applies it.
   *
   * @param x (B, G + X*Y, D): G global tokens, then an X x Y grid of patches row-major
   * @return (B, G + X*Y, D)
   */
  public static <T extends TFloating> Operand<T> apply(GraphScope<T> s, ImageAttentionSpec spec, Operand<T> x,
      int gx, int gy) {
    if (gx < 1 || gy < 1) {
      throw new IllegalArgumentException("attention '" + s.name() + "': patch grid " + gx + " x " + gy
          + " must be at least 1 x 1");
    }
    return spec.kind() == AttentionKind.LONG_SHORT
        ? new LongShortAttention2d<>(s, spec).apply(x, gx, gy)
        : new FullAttention2d<>(s, spec, gx, gy).apply(x);
  }
}
