package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * How a graph's forward pass is placed in the graph: inline ({@link #PLAIN}), or as a function
 * compiled by XLA ({@code io.longshort.compile.Xla.MUST_COMPILE}).
 */
public interface Execution {
  /** Builds the forward pass from its inputs, in {@code scope}; returns its one output. */
  interface Forward<T extends TFloating> {
    Operand<T> build(GraphScope<T> scope, List<Operand<?>> inputs);
  }

  <T extends TFloating> Operand<T> apply(GraphScope<T> scope, String name, List<Operand<?>> inputs,
      Forward<T> forward);

  /** Ops inline in the graph, run by TensorFlow's kernels one by one (or as its grappler sees fit). */
  Execution PLAIN = new Execution() {
    @Override
    public <T extends TFloating> Operand<T> apply(GraphScope<T> scope, String name, List<Operand<?>> inputs,
        Forward<T> forward) {
      return forward.build(scope, inputs);
    }
  };
}
