package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.family.TFloating;

/**
 * y = x W^T + b with PyTorch's parameter layout (weight [out, in], bias [out]) and initialisation
 * (U(-1/sqrt(in), 1/sqrt(in))), so that state_dicts load without transposes.
 */
public final class Linear<T extends TFloating> {
  private final GraphScope<T> scope;
  private final int in;
  private final int out;
  private final Operand<T> weight;
  private final Operand<T> bias;

  private Linear(GraphScope<T> scope, int in, int out, boolean withBias, Initializer weightInit,
      Initializer biasInit) {
    this.scope = scope;
    this.in = in;
    this.out = out;
    this.weight = scope.parameter("weight", new long[] {out, in}, weightInit);
    this.bias = withBias ? scope.parameter("bias", new long[] {out}, biasInit) : null;
  }

  private Linear(GraphScope<T> scope, int in, int out, boolean withBias) {
    this(scope, in, out, withBias, Initializer.uniform(1.0 / Math.sqrt(in)), Initializer.uniform(1.0 / Math.sqrt(in)));
  }

  /**
   * A Linear whose parameters start from other initialisers than PyTorch's default, e.g. the
   * Transformer-XL N(0, 0.02^2) weights and zero biases of the authors' autoregressive model.
   */
  public static <T extends TFloating> Linear<T> create(GraphScope<T> scope, int in, int out, boolean withBias,
      Initializer weightInit, Initializer biasInit) {
    return new Linear<>(scope, in, out, withBias, weightInit, biasInit);
  }

  /** Creates the parameters {@code <scope>.weight} and {@code <scope>.bias}. */
  public static <T extends TFloating> Linear<T> create(GraphScope<T> scope, int in, int out) {
    return new Linear<>(scope, in, out, true);
  }

  public static <T extends TFloating> Linear<T> createWithoutBias(GraphScope<T> scope, int in, int out) {
    return new Linear<>(scope, in, out, false);
  }

  public int outFeatures() {
    return out;
  }

  /** x (..., in) -> (..., out); leading dims other than the first must be static. */
  public Operand<T> apply(Operand<T> x) {
    Ops tf = scope.tf();
    long[] dims = x.shape().asArray();
    if (dims[dims.length - 1] != in) {
      throw new IllegalArgumentException("Linear '" + scope.name() + "': input width ("
          + dims[dims.length - 1] + ") does not match in_features (" + in + ")");
    }
    // (M, in) @ (out, in)^T: one 2-D product, the fastest form on every backend
    Operand<T> flat = dims.length == 2 ? x : Shapes.reshape(tf, x, -1, in);
    Operand<T> y = tf.linalg.matMul(flat, weight, MatMul.transposeB(true));
    if (bias != null) {
      y = tf.math.add(y, bias);
    }
    if (dims.length == 2) {
      return y;
    }
    long[] outDims = dims.clone();
    outDims[0] = -1;
    outDims[outDims.length - 1] = out;
    return Shapes.reshape(tf, y, outDims);
  }
}
