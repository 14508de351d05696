package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * A body of several outputs built as one function that a compiler must compile, called from the
 * graph (XLA: {@code io.longshort.compile.XlaFunction.MUST_COMPILE_CALLS}). Graph builders take one
 * of these where a step (the authors' LM's block step, a decode or generate step) may be compiled
 * whole; null builds the same ops inline. The caller (train, export, the CLI) chooses, so that
 * {@code graph} knows nothing of the compiler.
 */
public interface CompiledCalls {
  /** The function-graph stand-ins of the call's inputs, and resources bound to outer handles. */
  interface Args {
    int size();

    Output<?> get(int i);

    /** Input {@code i} typed as {@code type}; fails when its dtype differs. */
    <U extends TType> Output<U> get(int i, Class<U> type);

    /** The stand-ins of the inputs, in order (unmodifiable). */
    List<Output<?>> asList();

    /**
     * Makes {@code innerHandle}, a bare resource handle built in the function graph, an argument
     * fed with {@code outerHandle} from the outer graph: ops of the body then act on the outer
     * variable.
     */
    void bindResource(Operand<?> innerHandle, Operand<?> outerHandle);
  }

  /** Builds the function body from its arguments; returns its outputs (at least one). */
  @FunctionalInterface
  interface Body<T extends TFloating> {
    List<? extends Operand<?>> build(GraphScope<T> scope, Args args);
  }

  /**
   * Builds {@code body} as a function and calls it on {@code inputs} (outer-graph tensors, in
   * order); returns the call's outputs, statically shaped like the body's.
   */
  <T extends TFloating> List<Output<?>> call(GraphScope<T> scope, String name, List<? extends Operand<?>> inputs,
      Body<T> body);
}
