package io.longshort.bench;

import io.longshort.compile.XlaFunction;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The reference line: a large square float32 matrix product, the op this CPU runs fastest, timed
 * the same way as the layers (with or without XLA, fetching a scalar).
 */
final class MatmulReference implements AutoCloseable {
  private final Graph g = new Graph();
  private final Session session;
  private final Placeholder<TFloat32> a;
  private final Output<TFloat32> out;
  private final TFloat32 aValue;
  private final int size;

  public MatmulReference(int size, boolean xla) {
    this.size = size;
    GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(g, TFloat32.class, 0));
    Ops tf = root.tf();
    a = tf.withName("a").placeholder(TFloat32.class, Placeholder.shape(Shape.of(size, size)));
    out = XlaFunction.build(root, "matmul", List.of(a), (scope, args) -> {
      Ops in = scope.tf();
      Output<TFloat32> m = args.get(0, TFloat32.class);
      // (S, S) @ (S, S) -> scalar
      return List.of(in.reduceSum(in.linalg.matMul(m, m), in.constant(new int[] {0, 1})));
    }, xla).output(0, TFloat32.class);
    session = new Session(g);
    double[] v = new double[size * size];
    Random rnd = new Random(2);
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian();
    }
    aValue = HostTensors.of(TFloat32.class, new long[] {size, size}, v);
  }

  public double flops() {
    return 2.0 * size * size * size;
  }

  public double once() {
    long t0 = System.nanoTime();
    session.runner().feed(a, aValue).fetch(out).run().close();
    return (System.nanoTime() - t0) / 1e6;
  }

  @Override
  public void close() {
    aValue.close();
    session.close();
    g.close();
  }
}
