package io.longshort.graph.attention;

import io.longshort.graph.core.OwnedGraph;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.family.TFloating;

/**
 * A graph holding one attention layer with named inputs {@code x}, {@code mask} (and
 * {@code cls_token} for a CLS input), output {@code y}, and a session with initialised variables.
 *
 * <p>Letters: B batch, N length (rows of x), D width.
 */
public final class AttentionGraph<T extends TFloating> extends OwnedGraph {
  private final AttentionSpec spec;
  private final Parameters<T> params;
  private final Placeholder<T> x;
  private final Placeholder<T> mask;
  private final Placeholder<T> cls;
  private final Operand<T> y;

  private AttentionGraph(AttentionSpec spec, Class<T> dtype, long batch, int length, long seed) {
    this.spec = spec;
    try {
      this.params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      int d = spec.width();
      // (B, N, D), (B, N), (B, 1, D)
      x = tf.withName("x").placeholder(dtype, Placeholder.shape(Shape.of(batch, length, d)));
      mask = tf.withName("mask").placeholder(dtype, Placeholder.shape(Shape.of(batch, length)));
      cls = spec.globalToken() == GlobalToken.INPUT
          ? tf.withName("cls_token").placeholder(dtype, Placeholder.shape(Shape.of(batch, 1, d)))
          : null;
      Operand<T> out = Attention.apply(root.child("attention"), spec, x, mask, cls);
      y = tf.withName("y").identity(out);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * @param batch B, or -1 for any batch size
   * @param length N, the rows of x (1 + N for a CLS token in the first row)
   * @param seed parameters start from stateless RNG seeded with this
   */
  public static <T extends TFloating> AttentionGraph<T> build(AttentionSpec spec, Class<T> dtype,
      long batch, int length, long seed) {
    return new AttentionGraph<>(spec, dtype, batch, length, seed);
  }

  public AttentionSpec spec() {
    return spec;
  }



  public Parameters<T> parameters() {
    return params;
  }

  public Placeholder<T> x() {
    return x;
  }

  public Placeholder<T> mask() {
    return mask;
  }

  /** The CLS input, or null when the spec takes none. */
  public Placeholder<T> cls() {
    return cls;
  }

  public Operand<T> y() {
    return y;
  }

  /**
   * Runs the layer on host arrays (row-major).
   *
   * @param clsToken (B, 1, D) values, only for a CLS input
   * @return y, (B, N', D) row-major
   */
  public double[] run(long batch, double[] xValues, double[] maskValues, double[] clsToken) {
    int length = Math.toIntExact(x.shape().get(1));
    List<Tensor> fed = new ArrayList<>();
    try {
      Tensor xt = HostTensors.of(params.dtype(), new long[] {batch, length, spec.width()}, xValues);
      fed.add(xt);
      Tensor mt = HostTensors.of(params.dtype(), new long[] {batch, length}, maskValues);
      fed.add(mt);
      var runner = session().runner().feed(x, xt).feed(mask, mt).fetch(y);
      if (cls != null) {
        Tensor ct = HostTensors.of(params.dtype(), new long[] {batch, 1, spec.width()}, clsToken);
        fed.add(ct);
        runner.feed(cls, ct);
      }
      try (var result = runner.run()) {
        return HostTensors.toDoubles(result.get(0));
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

}
