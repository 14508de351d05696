package io.longshort.graph.core;

import java.util.Arrays;
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
 *
 * <p>The parameters of a <em>function body</em> ({@link #forFunctionBody}) are built in a graph of
 * their own that becomes a TensorFlow function: each variable is created (or found) in the owner's
 * graph, and the body graph gets only a bare handle that the caller turns into a DT_RESOURCE
 * argument of the function (see {@code io.longshort.compile.XlaFunction}).
 */
public final class Parameters<T extends TFloating> {
  private final Graph graph;
  private final Class<T> dtype;
  /** The dtype variables are stored in: {@code dtype}, or float32 master weights under mixed precision. */
  private final Class<? extends TFloating> variableDtype;
  private final long seed;
  /** Where the variables live when this collects a function body's parameters; null otherwise. */
  private final Parameters<T> owner;
  /** A function body's parameters given as tensors ({@link #fromValues}), else null. */
  private final Map<String, Operand<T>> values;
  private final Map<String, Parameter<T>> byName = new LinkedHashMap<>();
  private final Map<String, Setter<T>> setters = new LinkedHashMap<>();
  private final Map<String, Parameter<T>> sharedByKey = new LinkedHashMap<>();
  private Ops setScope;

  public Parameters(Graph graph, Class<T> dtype, long seed) {
    this(graph, dtype, dtype, seed, null);
  }

  private Parameters(Graph graph, Class<T> dtype, Class<? extends TFloating> variableDtype, long seed,
      Parameters<T> owner) {
    this.graph = graph;
    this.dtype = dtype;
    this.variableDtype = variableDtype;
    this.seed = seed;
    this.owner = owner;
    this.values = null;
  }

  private Parameters(Graph graph, Parameters<T> owner, Map<String, Operand<T>> values) {
    this.graph = graph;
    this.dtype = owner.dtype;
    this.variableDtype = owner.variableDtype;
    this.seed = owner.seed;
    this.owner = owner;
    this.values = Map.copyOf(values);
  }

  /**
   * The parameters of a function body that takes their values as arguments: each parameter the
   * body asks for is the tensor {@code values} maps its PyTorch name to (in the compute dtype), with
   * no variable behind it (null handle and initializer). A recomputed block's backward function
   * differentiates with respect to these tensors. Asking for a name not in {@code values} fails.
   */
  public static <T extends TFloating> Parameters<T> fromValues(Graph body, Parameters<T> owner,
      Map<String, Operand<T>> values) {
    if (body == owner.graph) {
      throw new IllegalArgumentException("a function body needs a graph of its own");
    }
    return new Parameters<>(body, owner, values);
  }

  /**
   * Mixed precision: variables stored (initialised, updated, saved, loaded) in {@code variableDtype},
   * typically float32 master weights, while the graph computes in {@code dtype}, typically
   * bfloat16: each parameter's {@link Parameter#value()} is its variable read once and cast to
   * {@code dtype}. Initial values are those of a plain {@code variableDtype} build with the same seed.
   */
  public static <T extends TFloating> Parameters<T> mixed(Graph graph, Class<T> dtype,
      Class<? extends TFloating> variableDtype, long seed) {
    return new Parameters<>(graph, dtype, variableDtype, seed, null);
  }

  /**
   * The parameters of a function body built in {@code body}: every parameter the body creates is
   * created in {@code owner}'s graph as usual (initialiser included, same seed, so the same initial
   * value as a plain build) or, when {@code owner} already has it, shared with it. In {@code body}
   * the parameter is a VarHandleOp without initialiser (its {@link Parameter#initializer()} is
   * null), meant to become a DT_RESOURCE function argument fed with the owner's handle.
   */
  public static <T extends TFloating> Parameters<T> forFunctionBody(Graph body, Parameters<T> owner) {
    if (body == owner.graph) {
      throw new IllegalArgumentException("a function body needs a graph of its own");
    }
    return new Parameters<>(body, owner.dtype, owner.variableDtype, owner.seed, owner);
  }

  public Graph graph() {
    return graph;
  }

  /** Whether these are a function body's parameters ({@link #forFunctionBody}). */
  public boolean isFunctionBody() {
    return owner != null;
  }

  /**
   * Whether these are the parameters of a body that takes their values as arguments ({@link
   * #fromValues}): a recomputed block's backward function, which TensorFlow inlines, not XLA.
   */
  public boolean givenAsValues() {
    return values != null;
  }

  /** The compute dtype: what layers read parameters as. */
  public Class<T> dtype() {
    return dtype;
  }

  /** The dtype the variables are stored in ({@link #dtype()} unless {@link #mixed}). */
  public Class<? extends TFloating> variableDtype() {
    return variableDtype;
  }

  /** Whether variables are stored in another dtype than the graph computes in. */
  public boolean isMixed() {
    return variableDtype != dtype;
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
    if (values != null) {
      Operand<T> v = values.get(name);
      if (v == null) {
        throw new IllegalArgumentException("parameter '" + name + "' is not an argument of this function body; it has "
            + values.keySet());
      }
      if (!v.shape().equals(Shape.of(shape))) {
        throw new IllegalArgumentException("parameter '" + name + "' is given with shape " + v.shape()
            + ", asked for " + Arrays.toString(shape));
      }
      Parameter<T> p = new Parameter<>(name, shape.clone(), dtype, null, v, null);
      byName.put(name, p);
      return p;
    }
    if (owner != null) {
      owner.getOrCreate(name, shape, init);
      // a bare handle: the caller passes the owner's handle in its place
      VarHandleOp handle = tf.withName(leaf).varHandleOp(variableDtype, Shape.of(shape), VarHandleOp.sharedName(name));
      Parameter<T> p = read(tf, name, leaf, shape, handle, null);
      byName.put(name, p);
      return p;
    }
    Ops initTf = tf.withInitScope();
    // The graph-unique PyTorch name doubles as the shared name: unnamed handles share one slot.
    VarHandleOp handle = initTf.withName(leaf).varHandleOp(variableDtype, Shape.of(shape),
        VarHandleOp.sharedName(name));
    // No sub-scope for the initializer's ops: in TF Java 1.1.0 every withSubScope on an init scope
    // scans all ops of the graph, which made building a 30-layer model quadratic (minutes).
    Operand<? extends TFloating> initial = init.build(initTf, variableDtype, shape, seed * 31 + name.hashCode());
    AssignVariableOp assign = initTf.withName(leaf + "_assign").assignVariableOp(handle, initial);
    Parameter<T> p = read(tf, name, leaf, shape, handle, assign);
    byName.put(name, p);
    return p;
  }

  /** The variable's one ReadVariableOp and, under mixed precision, its one cast to the compute dtype. */
  @SuppressWarnings("unchecked")
  private Parameter<T> read(Ops tf, String name, String leaf, long[] shape, VarHandleOp handle,
      AssignVariableOp assign) {
    Operand<? extends TFloating> stored = tf.withName(leaf + "_read").readVariableOp(handle, variableDtype);
    if (!isMixed()) {
      return new Parameter<>(name, shape.clone(), dtype, handle, (Operand<T>) stored, assign);
    }
    Operand<T> value = tf.withName(leaf + "_cast").dtypes.cast(stored, dtype);
    return new Parameter<>(name, shape.clone(), dtype, handle, value, assign, stored);
  }

  /**
   * The parameter {@code name}, created with {@code init} under the TF name scope its PyTorch name
   * spells ("a.b.weight" -> op "a/b/weight") unless this graph already has it.
   *
   * @throws IllegalArgumentException when it exists with another shape
   */
  public synchronized Parameter<T> getOrCreate(String name, long[] shape, Initializer init) {
    Parameter<T> p = byName.get(name);
    if (p != null) {
      if (!Arrays.equals(p.shape(), shape)) {
        throw new IllegalArgumentException("parameter '" + name + "' exists with shape "
            + Arrays.toString(p.shape()) + ", asked for " + Arrays.toString(shape));
      }
      return p;
    }
    String[] parts = name.split("\\.");
    Ops tf = Ops.create(graph);
    for (int i = 0; i < parts.length - 1; i++) {
      tf = tf.withSubScope(parts[i]);
    }
    return create(tf, name, parts[parts.length - 1], shape, init);
  }

  /**
   * A parameter that several layers of this graph share, as one PyTorch tensor held by several
   * modules (the authors' Linformer E, a class attribute every layer and both towers use): the
   * first call for {@code key} creates it with {@code create} (under the first layer's name, where
   * weight files have it), later calls return that one.
   */
  public synchronized Parameter<T> shared(String key, java.util.function.Supplier<Parameter<T>> create) {
    Parameter<T> p = sharedByKey.get(key);
    if (p == null) {
      p = create.get();
      sharedByKey.put(key, p);
    }
    return p;
  }

  /**
   * A placeholder and an assign op that set a parameter from a fed tensor; the placeholder has the
   * variable's dtype ({@link #variableDtype()}).
   */
  public record Setter<T extends TFloating>(Placeholder<? extends TFloating> value, AssignVariableOp assign) {}

  /**
   * The setter of parameter {@code p}, added to the graph on first use (under "set/"); it takes a
   * tensor of {@link #variableDtype()}.
   */
  public synchronized Setter<T> setter(Parameter<T> p) {
    if (owner != null) {
      return owner.setter(owner.get(p.name()));
    }
    if (setScope == null) {
      // one sub-scope for all setters: TF Java's withSubScope scans every op of the graph, so a
      // sub-scope per parameter made building a training run quadratic in the graph's size
      setScope = Ops.create(graph).withSubScope("set");
    }
    return setters.computeIfAbsent(p.name(), n -> {
      Placeholder<? extends TFloating> value = setScope.withName(n + ".value").placeholder(variableDtype,
          Placeholder.shape(Shape.of(p.shape())));
      return new Setter<>(value, setScope.withName(n + ".assign").assignVariableOp(p.handle(), value));
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
