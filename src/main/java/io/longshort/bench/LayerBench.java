package io.longshort.bench;

import io.longshort.compile.XlaFunction;
import io.longshort.graph.attention.Attention;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * One attention layer's forward pass and forward + backward pass (gradients of sum(y * dy) with
 * respect to x and every weight), each built as one function called with or without
 * {@code _XlaMustCompile}: the same ops either way, so XLA on and off compare like for like.
 * Every fetch is a scalar (a sum over the outputs), so no host copy of a large tensor is timed.
 *
 * <p>Letters: B batch, N length, D width.
 */
final class LayerBench implements AutoCloseable {
  private final Graph g = new Graph();
  private final Session session;
  private final Placeholder<TFloat32> x;
  private final Placeholder<TFloat32> mask;
  private final Placeholder<TFloat32> dy;
  private final Output<TFloat32> forward;
  private final Output<TFloat32> train;
  private final TFloat32 xValue;
  private final TFloat32 maskValue;
  private final TFloat32 dyValue;

  public LayerBench(AttentionSpec spec, int batch, int n, boolean xla) {
    Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
    GraphScope<TFloat32> root = GraphScope.root(params);
    Ops tf = root.tf();
    Shape xShape = Shape.of(batch, n, spec.width());
    x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(xShape));
    mask = tf.withName("mask").placeholder(TFloat32.class, Placeholder.shape(Shape.of(batch, n)));
    dy = tf.withName("dy").placeholder(TFloat32.class, Placeholder.shape(xShape));

    GraphScope<TFloat32> layer = root.child("attention");
    // (B, N, D) -> scalar
    forward = XlaFunction.build(layer, "forward", List.of(x, mask), (scope, args) -> {
      Operand<TFloat32> y = Attention.apply(scope, spec, args.get(0, TFloat32.class), args.get(1, TFloat32.class), null);
      return List.of(scope.tf().reduceSum(y, scope.tf().constant(new int[] {0, 1, 2})));
    }, xla).output(0, TFloat32.class);
    // (B, N, D) -> gradients of sum(y * dy) -> scalar
    train = XlaFunction.build(layer, "forward_backward", List.of(x, mask, dy), (scope, args) -> {
      Ops in = scope.tf();
      Output<TFloat32> xIn = args.get(0, TFloat32.class);
      Operand<TFloat32> y = Attention.apply(scope, spec, xIn, args.get(1, TFloat32.class), null);
      Operand<TFloat32> loss = in.reduceSum(in.math.mul(y, args.get(2, TFloat32.class)), in.constant(new int[] {0, 1, 2}));
      List<Output<?>> wrt = new ArrayList<>();
      wrt.add(xIn);
      for (Parameter<TFloat32> p : scope.parameters().list()) {
        wrt.add(p.value().asOutput());
      }
      Output<?>[] grads = scope.parameters().graph().addGradients(loss.asOutput(), wrt.toArray(Output<?>[]::new));
      Operand<TFloat32> total = null;
      for (Output<?> gr : grads) {
        Operand<TFloat32> gt = gr.expect(TFloat32.class);
        int rank = gt.shape().numDimensions();
        int[] axes = new int[rank];
        for (int i = 0; i < rank; i++) {
          axes[i] = i;
        }
        Operand<TFloat32> sum = in.reduceSum(gt, in.constant(axes));
        total = total == null ? sum : in.math.add(total, sum);
      }
      return List.of(total);
    }, xla).output(0, TFloat32.class);

    session = new Session(g);
    session.initialize();
    xValue = RandomTensors.normal(xShape, 1);
    dyValue = RandomTensors.normal(xShape, 2);
    maskValue = TFloat32.tensorOf(Shape.of(batch, n));
    maskValue.asRawTensor().data().asFloats().write(ones(batch * n));
  }

  private static float[] ones(int count) {
    float[] v = new float[count];
    java.util.Arrays.fill(v, 1f);
    return v;
  }

  /** Runs the forward pass once; returns milliseconds. */
  public double forwardOnce() {
    long t0 = System.nanoTime();
    session.runner().feed(x, xValue).feed(mask, maskValue).fetch(forward).run().close();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Runs forward + backward once; returns milliseconds. */
  public double trainOnce() {
    long t0 = System.nanoTime();
    session.runner().feed(x, xValue).feed(mask, maskValue).feed(dy, dyValue).fetch(train).run().close();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Runs one pass ({@code train}: forward + backward) with a full trace; returns its metadata. */
  public org.tensorflow.proto.RunMetadata traceOnce(boolean train) {
    Session.Runner runner = session.runner().feed(x, xValue).feed(mask, maskValue)
        .setOptions(org.tensorflow.proto.RunOptions.newBuilder()
            .setTraceLevel(org.tensorflow.proto.RunOptions.TraceLevel.FULL_TRACE).build());
    if (train) {
      runner.feed(dy, dyValue).fetch(this.train);
    } else {
      runner.fetch(forward);
    }
    try (org.tensorflow.Result r = runner.runAndFetchMetadata()) {
      return r.getMetadata().orElseThrow();
    }
  }

  @Override
  public void close() {
    xValue.close();
    maskValue.close();
    dyValue.close();
    session.close();
    g.close();
  }
}
