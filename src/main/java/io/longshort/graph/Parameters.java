package io.longshort.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TFloating;

/**
 * Every trainable variable of one graph, by PyTorch state_dict name. Variables are resource
 * variables (VarHandleOp) so that graphs compile with XLA; their initializers live in the graph's
 * init scope and run with {@code Session.initialize()}.
 */
public final class Parameters<T extends TFloating> {
  private final Graph graph;
  private final Class<T> dtype;
  private final long seed;
  private final Map<String, Parameter<T>> byName = new LinkedHashMap<>();
  private final Map<String, Setter<T>> setters = new LinkedHashMap<>();

  public Parameters(Graph graph, Class<T> dtype, long seed) {
    this.graph = graph;
    this.dtype = dtype;
    this.seed = seed;
  }

  public Graph graph() {
    return graph;
  }

  public Class<T> dtype() {
    return dtype;
  }

  /**
   * Creates a variable named {@code leaf} in {@code tf}'s scope.
   *
   * @param name the PyTorch name, unique in this graph
   */
  Parameter<T> create(Ops tf, String name, String leaf, long[] shape, Initializer init) {
    if (byName.containsKey(name)) {
      throw new IllegalArgumentException("parameter '" + name + "' is defined twice in this graph;"
          + " give the second layer another name");
    }
    Ops initTf = tf.withInitScope();
    // The graph-unique PyTorch name doubles as the shared name: unnamed handles share one slot.
    VarHandleOp handle = initTf.withName(leaf).varHandleOp(dtype, Shape.of(shape),
        VarHandleOp.sharedName(name));
    // No sub-scope for the initializer's ops: in TF Java 1.1.0 every withSubScope on an init scope
    // scans all ops of the graph, which made building a 30-layer model quadratic (minutes).
    Operand<T> initial = init.build(initTf, dtype, shape, seed * 31 + name.hashCode());
    AssignVariableOp assign = initTf.withName(leaf + "_assign").assignVariableOp(handle, initial);
    Operand<T> value = tf.withName(leaf + "_read").readVariableOp(handle, dtype);
    Parameter<T> p = new Parameter<>(name, shape.clone(), dtype, handle, value, assign);
    byName.put(name, p);
    return p;
  }

  /** A placeholder and an assign op that set a parameter from a fed tensor. */
  public record Setter<T extends TFloating>(Placeholder<T> value, AssignVariableOp assign) {}

  /** The setter of parameter {@code p}, added to the graph on first use (under "set/"). */
  public synchronized Setter<T> setter(Parameter<T> p) {
    return setters.computeIfAbsent(p.name(), n -> {
      Ops tf = Ops.create(graph).withSubScope("set");
      for (String part : n.split("\\.")) {
        tf = tf.withSubScope(part);
      }
      Placeholder<T> value = tf.withName("value").placeholder(dtype, Placeholder.shape(Shape.of(p.shape())));
      return new Setter<>(value, tf.withName("assign").assignVariableOp(p.handle(), value));
    });
  }

  public Parameter<T> get(String name) {
    Parameter<T> p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter '" + name + "' in this graph; it has "
          + byName.keySet());
    }
    return p;
  }

  public Map<String, Parameter<T>> asMap() {
    return Collections.unmodifiableMap(byName);
  }

  public List<Parameter<T>> list() {
    return List.copyOf(byName.values());
  }

  public long count() {
    return byName.values().stream().mapToLong(Parameter::size).sum();
  }
}
