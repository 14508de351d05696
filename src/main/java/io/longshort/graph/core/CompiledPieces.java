package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;

/**
 * Element-wise pieces of a plain graph built as small compiled functions (XLA: {@code
 * io.longshort.compile.XlaPieces}), so that a chain of element-wise ops, which TensorFlow runs as one
 * pass over the tensor per op, becomes one fused loop, while the products around it keep
 * TensorFlow's own kernels. Dropout's masks, LayerNorm and GELU use them when their scope has
 * pieces ({@link GraphScope#withCompiledPieces}); without, they build the same math as plain ops.
 */
public interface CompiledPieces {
  /** Tensors of fewer elements keep the plain ops: compiling a call would cost more than it saves. */
  long minElements();

  /** Whether a piece over {@code x} should be compiled: static shape of at least {@link #minElements()}. */
  default boolean covers(Operand<?> x) {
    return !x.shape().hasUnknownDimension() && x.shape().size() >= minElements();
  }

  /**
   * y = forward(inputs), one output, whose gradient is {@code backward(inputs..., dy)}: one output per
   * input, in order, of its dtype and shape (the gradient of an input that needs none may be anything
   * of that dtype and shape, e.g. zeros).
   */
  default <T extends TFloating> Output<?> callWithGradient(GraphScope<T> s, String name,
      List<? extends Operand<?>> inputs, Body<T> forward, Body<T> backward) {
    boolean[] all = new boolean[inputs.size()];
    java.util.Arrays.fill(all, true);
    return callWithGradient(s, name, inputs, all, forward, backward);
  }

  /**
   * {@link #callWithGradient(GraphScope, String, List, Body, Body)} whose gradient reads only the
   * inputs marked in {@code readByGradient} (one entry per input), and dy: the others are not handed
   * to it, so the step does not keep them alive from the forward pass to the backward pass (dropout's
   * gradient needs the seed and rate, not x: keeping x would hold one activation per dropout site
   * through the step). In {@code backward}'s arguments their places hold null.
   */
  <T extends TFloating> Output<?> callWithGradient(GraphScope<T> s, String name, List<? extends Operand<?>> inputs,
      boolean[] readByGradient, Body<T> forward, Body<T> backward);

  /** A piece's ops, built in the function's graph on its arguments (stand-ins of the inputs, in order). */
  @FunctionalInterface
  interface Body<T extends TFloating> {
    List<? extends Operand<?>> build(GraphScope<T> s, List<Output<?>> args);
  }
}
