package io.longshort.compile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;

/**
 * The gradients of {@link XlaPieces}' carriers: TF Java 1.1.0 takes custom gradients per op type
 * only, from TensorFlow's C++ gradient builder (and crashes past about ten registrations per
 * process), so this class registers one, for {@code IdentityN} (which has no C++ gradient), and
 * dispatches by graph and op name. An {@code IdentityN} that is no carrier gets its true gradient,
 * each output's gradient passed to its input.
 *
 * <p>The backward builders keep no reference to their graph (the map holds graphs weakly): they
 * read the carrier's inputs from the op they are given.
 */
final class XlaGradients {
  /** Builds the gradients of a carrier's inputs 1.. (the piece's inputs) from dy, its output 0's gradient. */
  @FunctionalInterface
  interface Backward {
    List<Output<?>> build(Ops tf, GraphOperation carrier, Output<?> dy);
  }

  private static final Map<Graph, Map<String, Backward>> BY_GRAPH = new WeakHashMap<>();
  private static boolean registered;

  private XlaGradients() {}

  static synchronized void register(GraphOperation carrier, Backward backward) {
    if (!registered) {
      if (!TensorFlow.registerCustomGradient("IdentityN", XlaGradients::gradient)) {
        throw new IllegalStateException("IdentityN already has a gradient: compiled pieces cannot carry theirs");
      }
      registered = true;
    }
    BY_GRAPH.computeIfAbsent((Graph) carrier.env(), g -> new HashMap<>()).put(carrier.name(), backward);
  }

  private static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Backward backward;
    synchronized (XlaGradients.class) {
      Map<String, Backward> ops = BY_GRAPH.get((Graph) op.env());
      backward = ops == null ? null : ops.get(op.name());
    }
    if (backward == null) {
      return new ArrayList<>(grads);
    }
    List<Operand<?>> d = new ArrayList<>();
    // output 0 is the forward call's output behind a StopGradient: anything of its shape
    d.add(grads.get(0));
    d.addAll(backward.build(tf, op, grads.get(0)));
    return d;
  }
}
