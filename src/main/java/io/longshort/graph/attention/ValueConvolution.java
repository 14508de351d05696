package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.Shapes;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * The depth-wise convolution over the values that the authors add to Linformer and Nystrom
 * outputs: PyTorch {@code Conv2d(H, H, kernel_size=(C, 1), padding=(C // 2, 0), groups=H,
 * bias=False)} on (B, H, N, K), one C-tap kernel per head along the sequence, shared by the head's
 * K features. Parameter {@code conv.weight} (H, 1, C, 1).
 *
 * <p>Written as C shifted slices times per-head scalars (a cross-correlation, as PyTorch's), not
 * DepthwiseConv2dNative: pads, slices, multiplies and adds all have C++ gradients and XLA kernels,
 * and C is small (the authors use up to 35).
 *
 * <p>Letters: B batch, H heads, N length, K head width, C kernel size.
 */
final class ValueConvolution<T extends TFloating> {
  private final GraphScope<T> s;
  private final int h;
  private final int c;
  private final Operand<T> weight;

  ValueConvolution(GraphScope<T> s, int heads, int kernel) {
    this.s = s;
    this.h = heads;
    this.c = kernel;
    // PyTorch's Conv2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 1 * C * 1 per group
    this.weight = s.parameter("weight", new long[] {heads, 1, kernel, 1}, Initializer.uniform(1.0 / Math.sqrt(kernel)));
  }

  /** v (B, H, N, K), already masked -> (B, H, N, K). */
  Operand<T> apply(Operand<T> v, int n, int k) {
    Ops tf = s.tf();
    int p = c / 2;
    // (B, H, N + 2p, K)
    Operand<T> padded = Shapes.padAxis(tf, v, s.scalar(0.0), 4, 2, p, p);
    // (H, C)
    Operand<T> taps = Shapes.reshape(tf, weight, h, c);
    Operand<T> out = null;
    for (int j = 0; j < c; j++) {
      // out[t] += w[j] v[t + j - p]: (B, H, N, K) times (1, H, 1, 1)
      Operand<T> shifted = Shapes.slice(tf, padded, new long[] {0, 0, j, 0}, new long[] {-1, h, n, k});
      Operand<T> tap = Shapes.reshape(tf, Shapes.slice(tf, taps, new long[] {0, j}, new long[] {h, 1}), 1, h, 1, 1);
      Operand<T> term = tf.math.mul(shifted, tap);
      out = out == null ? term : tf.math.add(out, term);
    }
    return out;
  }
}
