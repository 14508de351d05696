package io.longshort.graph.vision;

import io.longshort.graph.core.OwnedGraph;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.ImageAttentionSpec;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.family.TFloating;

/**
 * A graph holding one 2-D attention layer: input {@code x} (B, G + X*Y, D), output {@code y}, and a
 * session with initialised variables (for parity tests, gradient checks and benchmarks).
 */
public final class ImageAttentionGraph<T extends TFloating> extends OwnedGraph {
  private final ImageAttentionSpec spec;
  private final Parameters<T> params;
  private final Placeholder<T> x;
  private final Operand<T> y;

  private ImageAttentionGraph(ImageAttentionSpec spec, Class<T> dtype, long batch, int gx, int gy, long seed) {
    this.spec = spec;
    try {
      params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      int rows = spec.globalTokens() + gx * gy;
      x = tf.withName("x").placeholder(dtype, Placeholder.shape(Shape.of(batch, rows, spec.width())));
      y = tf.withName("y").identity(ImageAttention.apply(root.child("attention"), spec, x, gx, gy));
    } catch (RuntimeException ex) {
      graph.close();
      throw ex;
    }
  }

  public static <T extends TFloating> ImageAttentionGraph<T> build(ImageAttentionSpec spec, Class<T> dtype,
      long batch, int gx, int gy, long seed) {
    return new ImageAttentionGraph<>(spec, dtype, batch, gx, gy, seed);
  }

  public ImageAttentionSpec spec() {
    return spec;
  }



  public Parameters<T> parameters() {
    return params;
  }

  public Placeholder<T> x() {
    return x;
  }

  public Operand<T> y() {
    return y;
  }

  /** Runs the layer on row-major host values of x; returns y row-major. */
  public double[] run(double[] xValues) {
    try (Tensor xt = HostTensors.of(params.dtype(), x.shape().asArray(), xValues);
        var result = session().runner().feed(x, xt).fetch(y).run()) {
      return HostTensors.toDoubles(result.get(0));
    }
  }

}
