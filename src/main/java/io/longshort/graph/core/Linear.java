package io.longshort.graph.core;

import java.util.ArrayList;
import java.util.List;
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

  /**
   * Several Linears of the same input as one product, x @ [c_1 W_1 ; c_2 W_2 ; ...]^T + [c_1 b_1 ;
   * ...], split back into their outputs: one large matrix product (and one in each direction of
   * the backward pass) instead of one per layer, and each layer's factor c_i folded into its
   * weights instead of a pass over its output. Every layer needs a bias and the same in_features.
   *
   * @param s the scope the joint ops are built in
   * @param x (..., in); leading dims other than the first must be static
   * @return (..., out_i) per layer, in order
   */
  public static <T extends TFloating> List<Operand<T>> applyJoint(GraphScope<T> s,
      List<Linear<T>> layers, double[] factors, Operand<T> x) {
    Ops tf = s.tf();
    long[] dims = x.shape().asArray();
    int in = layers.get(0).in;
    List<Operand<T>> weights = new ArrayList<>();
    List<Operand<T>> biases = new ArrayList<>();
    // int32 split sizes: TFLite's builtin SPLIT_V takes only int32 (int64 sizes need the Flex op)
    int[] widths = new int[layers.size()];
    for (int i = 0; i < layers.size(); i++) {
      Linear<T> l = layers.get(i);
      if (l.in != in || l.bias == null || dims[dims.length - 1] != in) {
        throw new IllegalArgumentException("Linear.applyJoint: '" + l.scope.name() + "' takes " + l.in
            + " features" + (l.bias == null ? " without a bias" : "") + ", the input has " + dims[dims.length - 1]);
      }
      boolean scaled = factors[i] != 1.0;
      weights.add(scaled ? tf.math.mul(l.weight, s.scalar(factors[i])) : l.weight);
      biases.add(scaled ? tf.math.mul(l.bias, s.scalar(factors[i])) : l.bias);
      widths[i] = l.out;
    }
    Operand<T> flat = dims.length == 2 ? x : Shapes.reshape(tf, x, -1, in);
    // (M, sum out) = (M, in) @ (sum out, in)^T + (sum out)
    // BiasAdd, not Add: its gradient is one BiasAddGrad (a row reduction several times faster
    // than the Sum that Add's broadcast gradient runs over the (M, sum out) tensor)
    Operand<T> y = tf.nn.biasAdd(tf.linalg.matMul(flat, Shapes.concat(tf, 0, weights), MatMul.transposeB(true)),
        Shapes.concat(tf, 0, biases));
    List<Operand<T>> out = new ArrayList<>();
    for (Operand<T> part : tf.splitV(y, tf.constant(widths), tf.constant(1), (long) layers.size()).output()) {
      long[] outDims = dims.clone();
      outDims[0] = -1;
      outDims[outDims.length - 1] = part.shape().get(1);
      out.add(dims.length == 2 ? part : Shapes.reshape(tf, part, outDims));
    }
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
      // BiasAdd, not Add: the same sum, and its gradient is one BiasAddGrad, several times faster
      // than the Sum over rows that Add's broadcast gradient runs
      y = tf.nn.biasAdd(y, bias);
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
