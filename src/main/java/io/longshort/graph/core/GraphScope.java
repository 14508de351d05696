package io.longshort.graph.core;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Where a layer puts its ops and parameters: one {@link Ops} context (TF name scope "a/b") paired
 * with the PyTorch name prefix ("a.b.") its parameters are known by in weight files.
 */
public final class GraphScope<T extends TFloating> {
  private final Ops tf;
  private final Parameters<T> params;
  private final String prefix;
  private final CompiledPieces pieces;

  private GraphScope(Ops tf, Parameters<T> params, String prefix, CompiledPieces pieces) {
    this.tf = tf;
    this.params = params;
    this.prefix = prefix;
    this.pieces = pieces;
  }

  /** The top scope of a graph: parameter names carry no prefix. */
  public static <T extends TFloating> GraphScope<T> root(Parameters<T> params) {
    return new GraphScope<>(Ops.create(params.graph()), params, "", null);
  }

  /**
   * The top scope of a graph built through {@code tf}, e.g. a scope carrying a device or a name
   * scope of its own (one model replica of a data-parallel step); parameter names carry no prefix.
   */
  public static <T extends TFloating> GraphScope<T> root(Parameters<T> params, Ops tf) {
    if (tf.scope().env() != params.graph()) {
      throw new IllegalArgumentException("the Ops are not of the parameters' graph");
    }
    return new GraphScope<>(tf, params, "", null);
  }

  /** A nested scope: TF ops under {@code name/}, parameters under {@code name.}. */
  public GraphScope<T> child(String name) {
    return new GraphScope<>(tf.withSubScope(name), params, prefix + name + ".", pieces);
  }

  /**
   * This scope, whose layers (and their children's) build their element-wise pieces with
   * {@code pieces}. In a function body that XLA compiles as a whole the scope stays as it is; a body
   * whose parameters are given as values ({@link Parameters#fromValues}: a recomputed block's backward
   * function, which TensorFlow inlines) takes them, so the rebuilt block runs the forward's pieces.
   */
  public GraphScope<T> withCompiledPieces(CompiledPieces pieces) {
    boolean compiledBody = params.isFunctionBody() && !params.givenAsValues();
    return compiledBody ? this : new GraphScope<>(tf, params, prefix, pieces);
  }

  /** The compiled pieces of this scope, or null: plain ops. */
  public CompiledPieces compiledPieces() {
    return pieces;
  }

  /** The PyTorch-style name of this scope ("" at the root), for messages. */
  public String name() {
    return prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
  }

  public Ops tf() {
    return tf;
  }

  public Class<T> dtype() {
    return params.dtype();
  }

  public Parameters<T> parameters() {
    return params;
  }

  /** Creates the parameter {@code prefix + leaf} and returns the tensor that reads it. */
  public Operand<T> parameter(String leaf, long[] shape, Initializer init) {
    return params.create(tf, prefix + leaf, leaf, shape, init).value();
  }

  /** A scalar of this scope's dtype, broadcast by the ops that use it. */
  public Operand<T> scalar(double value) {
    return tf.constant(dtype(), value);
  }
}
