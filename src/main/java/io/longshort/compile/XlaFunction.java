package io.longshort.compile;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.ExecutionEnvironment;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.OpDef;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * Builds a piece of graph as a TensorFlow function and calls it from the outer graph through one
 * {@code StatefulPartitionedCall} op whose {@code _XlaMustCompile} attribute is true: TensorFlow
 * then compiles the whole function with XLA (for the device the call is placed on) the first time
 * a session runs it, and the run fails with {@code InvalidArgumentException: Detected unsupported
 * operations when trying to compile graph ...} when any op in it has no XLA kernel. This is what
 * {@code tf.function(jit_compile=True)} does in Python; TF Java 1.1.0 has no public API for it.
 *
 * <pre>{@code
 * GraphScope<TFloat32> layer = GraphScope.root(params).child("attention");
 * XlaFunction.Call call = XlaFunction.mustCompile(layer, "attention", List.of(x, mask),
 *     (scope, args) -> List.of(Attention.apply(scope, spec, args.get(0, TFloat32.class),
 *         args.get(1, TFloat32.class), null)));
 * Output<TFloat32> y = call.output(0, TFloat32.class);   // fetch or build on it as usual
 * }</pre>
 *
 * <p>The body is built in a graph of its own with the same name scopes, so its parameters get the
 * same PyTorch names as in a plain build: each is created in the outer graph (initialiser in the
 * init scope, same seed, so the same initial value) or shared with the outer variable of that
 * name when it already exists; the function receives the variables as DT_RESOURCE arguments
 * ({@link Parameters#forFunctionBody}). Inputs become placeholders of the same dtype and shape.
 * Other resources (optimizer state) are bound by the body with {@link Args#bindResource} and
 * become DT_RESOURCE arguments too. Ops with side effects (variable assigns) must be reached by
 * the outputs, e.g. through control dependencies, so that the call runs them.
 */
public final class XlaFunction {
  /** The node attribute that makes TensorFlow compile a function call with XLA or fail. */
  public static final String MUST_COMPILE_ATTR = "_XlaMustCompile";
  /** The op type of the call. */
  public static final String CALL_OP = "StatefulPartitionedCall";
  /** The node attribute that makes TensorFlow's function inliner inline a call whatever its body's stateful ops. */
  static final String INLINE_ATTR = "_lower_as_multi_device_function";

  private XlaFunction() {}

  /** Builds the function body from its arguments; returns its outputs (at least one). */
  @FunctionalInterface
  public interface Body<T extends TFloating> {
    /**
     * @param scope a scope in the function graph with the same TF name scope and PyTorch
     *     parameter prefix as the scope given to {@link #mustCompile}
     * @param args the function's placeholders for the inputs, in order
     */
    List<? extends Operand<?>> build(GraphScope<T> scope, Args args);
  }

  /**
   * The function-graph stand-ins of the call's inputs, and the resources (other than the body's
   * parameters) that the body binds to outer-graph handles.
   */
  public static final class Args implements io.longshort.graph.core.CompiledCalls.Args {
    private final List<Output<?>> values;
    private final Graph inner;
    private final List<Output<?>> boundInner = new ArrayList<>();
    private final List<Output<?>> boundOuter = new ArrayList<>();

    private Args(List<Output<?>> values, Graph inner) {
      this.values = values;
      this.inner = inner;
    }

    /**
     * Makes {@code innerHandle}, a bare resource handle built in the function graph (e.g. a
     * VarHandleOp without initialiser), a DT_RESOURCE argument of the function fed with
     * {@code outerHandle} from the outer graph: ops of the body that read or assign it then act on
     * the outer variable. This is how a body reaches state that is not a model parameter (e.g.
     * optimizer slots and the step counter, see {@code io.longshort.train.Optimizer}).
     */
    @Override
    public void bindResource(Operand<?> innerHandle, Operand<?> outerHandle) {
      if (innerHandle.env() != inner) {
        throw new IllegalArgumentException("resource " + innerHandle + " is not in the function graph");
      }
      if (innerHandle.asOutput().dataType() != DataType.DT_RESOURCE
          || outerHandle.asOutput().dataType() != DataType.DT_RESOURCE) {
        throw new IllegalArgumentException("bindResource takes two resource handles, got "
            + innerHandle.asOutput().dataType() + " and " + outerHandle.asOutput().dataType());
      }
      boundInner.add(innerHandle.asOutput());
      boundOuter.add(outerHandle.asOutput());
    }

    @Override
    public int size() {
      return values.size();
    }

    @Override
    public Output<?> get(int i) {
      return values.get(i);
    }

    /** The stand-ins of the inputs, in order (unmodifiable). */
    @Override
    public List<Output<?>> asList() {
      return values;
    }

    /** Input {@code i} typed as {@code type}; fails when its dtype differs. */
    @Override
    public <U extends TType> Output<U> get(int i, Class<U> type) {
      return values.get(i).expect(type);
    }
  }

  /**
   * A built call.
   *
   * @param op the StatefulPartitionedCall in the outer graph
   * @param functionName the name of the FunctionDef attached to the outer graph
   * @param outputs the call's outputs, statically shaped like the body's outputs
   * @param parameters the PyTorch names of the variables passed in, in argument order
   * @param mustCompile whether the call carries {@code _XlaMustCompile = true}
   */
  public record Call(GraphOperation op, String functionName, List<Output<?>> outputs,
      List<String> parameters, boolean mustCompile) {

    public <U extends TType> Output<U> output(int i, Class<U> type) {
      return outputs.get(i).expect(type);
    }
  }

  /** {@link #mustCompile} for graph builders, which know calls only as {@link io.longshort.graph.core.CompiledCalls}. */
  public static final io.longshort.graph.core.CompiledCalls MUST_COMPILE_CALLS =
      new io.longshort.graph.core.CompiledCalls() {
        @Override
        public <T extends TFloating> List<Output<?>> call(GraphScope<T> scope, String name,
            List<? extends Operand<?>> inputs, io.longshort.graph.core.CompiledCalls.Body<T> body) {
          return mustCompile(scope, name, inputs, body::build).outputs();
        }
      };

  /**
   * Builds {@code body} as a function and calls it with {@code _XlaMustCompile = true}.
   *
   * @param scope the outer scope: the call op goes in its TF name scope, the body's parameters
   *     get its PyTorch prefix and live in its {@link Parameters}' graph
   * @param name the function's name (TensorFlow appends a hash) and the call op's name
   * @param inputs outer-graph tensors passed to the function, in order
   */
  public static <T extends TFloating> Call mustCompile(GraphScope<T> scope, String name,
      List<? extends Operand<?>> inputs, Body<T> body) {
    return build(scope, name, inputs, body, true);
  }

  /**
   * Like {@link #mustCompile}, with {@code mustCompile = false} for the same function called
   * without XLA (TensorFlow then inlines it into the graph and runs its ops one by one).
   */
  public static <T extends TFloating> Call build(GraphScope<T> scope, String name,
      List<? extends Operand<?>> inputs, Body<T> body, boolean mustCompile) {
    Objects.requireNonNull(body, "body");
    Parameters<T> outerParams = scope.parameters();
    Graph outer = outerParams.graph();
    checkNameAndInputs(name, inputs, outer);

    Signature signature;
    List<String> paramNames = new ArrayList<>();
    Map<String, Output<?>> outerArgByKey = new LinkedHashMap<>();
    ConcreteFunction fn = null;
    try (Graph inner = new Graph()) {
      Parameters<T> innerParams = Parameters.forFunctionBody(inner, outerParams);
      Signature.Builder sig = Signature.builder().key(name).methodName(name);
      List<Output<?>> args = addArgs(inner, inputs, sig);
      for (int i = 0; i < inputs.size(); i++) {
        outerArgByKey.put("arg" + i, inputs.get(i).asOutput());
      }
      GraphScope<T> innerScope = GraphScope.root(innerParams);
      if (!scope.name().isEmpty()) {
        for (String part : scope.name().split("\\.")) {
          innerScope = innerScope.child(part);
        }
      }
      Args bodyArgs = new Args(List.copyOf(args), inner);
      List<Shape> shapes = addOutputs(inner, name, body.build(innerScope, bodyArgs), sig);
      for (Parameter<T> p : innerParams.list()) {
        String key = "var" + paramNames.size();
        sig.input(key, p.handle());
        outerArgByKey.put(key, outerParams.get(p.name()).handle().asOutput());
        paramNames.add(p.name());
      }
      for (int i = 0; i < bodyArgs.boundInner.size(); i++) {
        Output<?> outerHandle = bodyArgs.boundOuter.get(i);
        if (outerHandle.env() != outer) {
          throw new IllegalArgumentException("bound resource " + outerHandle + " is not in the scope's graph");
        }
        String key = "res" + i;
        sig.input(key, bodyArgs.boundInner.get(i));
        outerArgByKey.put(key, outerHandle);
      }
      signature = sig.build();
      fn = ConcreteFunction.create(signature, inner);

      // the argument order is the signature's, both for the FunctionDef and for the call
      List<Output<?>> callArgs = new ArrayList<>();
      List<DataType> tin = new ArrayList<>();
      for (String key : fn.signature().inputNames()) {
        Output<?> a = outerArgByKey.get(key);
        callArgs.add(a);
        tin.add(a.dataType());
      }
      List<String> outKeys = new ArrayList<>(fn.signature().outputNames());
      List<DataType> tout = new ArrayList<>();
      for (String key : outKeys) {
        tout.add(fn.signature().getOutputs().get(key).dataType);
      }
      checkArgTypes(fn, tin, tout);

      Ops tf = scope.tf();
      OperationBuilder b = tf.scope().opBuilder(CALL_OP, name);
      b.addInputList(callArgs.toArray(Output<?>[]::new));
      b.setAttr("Tin", tin.toArray(DataType[]::new));
      b.setAttr("Tout", tout.toArray(DataType[]::new));
      b.setAttr("f", fn); // attaches (copies) the FunctionDef to the outer graph
      if (mustCompile) {
        b.setAttr(MUST_COMPILE_ATTR, true);
      }
      GraphOperation call = (GraphOperation) b.build();
      String functionName = fn.getDefinedName();

      List<Output<?>> outs = new ArrayList<>();
      for (int i = 0; i < outKeys.size(); i++) {
        Output<?> o = call.output(i);
        int bodyIndex = Integer.parseInt(outKeys.get(i).substring(3));
        Shape want = shapes.get(bodyIndex);
        if (!o.shape().equals(want) && !want.isUnknown()) {
          // the call's shape function lost what the body knew: restore it, checked at run time
          o = tf.withName(name + "_out" + bodyIndex).ensureShape(o, want).asOutput();
        }
        outs.add(o);
      }
      // outputs back in the body's order
      Output<?>[] ordered = new Output<?>[outs.size()];
      for (int i = 0; i < outKeys.size(); i++) {
        ordered[Integer.parseInt(outKeys.get(i).substring(3))] = outs.get(i);
      }
      return new Call(call, functionName, List.of(ordered), Collections.unmodifiableList(paramNames),
          mustCompile);
    } finally {
      if (fn != null) {
        fn.close();
      }
    }
  }

  /**
   * A function of its inputs only (no parameters, no resources), attached to the scope's graph now
   * and called later with {@link Definition#call}: by a gradient function, which may build ops but
   * must not query the graph (shapes, functions), as TensorFlow holds the graph's lock meanwhile.
   *
   * @param likes outer-graph tensors whose dtypes and static shapes the arguments take, in order
   */
  public static <T extends TFloating> Definition define(GraphScope<T> scope, String name,
      List<? extends Operand<?>> likes, Body<T> body) {
    return define(scope, name, likes, body, true);
  }

  /**
   * Like {@link #define}; {@code mustCompile} false: its calls run the function's ops without XLA
   * (TensorFlow inlines them into the graph).
   */
  public static <T extends TFloating> Definition define(GraphScope<T> scope, String name,
      List<? extends Operand<?>> likes, Body<T> body, boolean mustCompile) {
    Objects.requireNonNull(body, "body");
    Parameters<T> outerParams = scope.parameters();
    checkNameAndInputs(name, likes, outerParams.graph());
    ConcreteFunction fn = null;
    try (Graph inner = new Graph()) {
      Parameters<T> innerParams = Parameters.forFunctionBody(inner, outerParams);
      Signature.Builder sig = Signature.builder().key(name).methodName(name);
      Args args = new Args(List.copyOf(addArgs(inner, likes, sig)), inner);
      List<Shape> shapes = addOutputs(inner, name, body.build(GraphScope.root(innerParams), args), sig);
      if (!innerParams.list().isEmpty()) {
        throw new IllegalArgumentException("function '" + name + "' creates parameters "
            + innerParams.list().stream().map(Parameter::name).toList() + ": a definition takes inputs only");
      }
      if (!args.boundInner.isEmpty()) {
        throw new IllegalArgumentException("function '" + name + "' binds " + args.boundInner.size()
            + " resources: a definition takes inputs only");
      }
      fn = ConcreteFunction.create(sig.build(), inner);
      scope.parameters().graph().attachFunction(fn);
      int[] argOrder = fn.signature().inputNames().stream().mapToInt(k -> Integer.parseInt(k.substring(3))).toArray();
      int[] outOrder = fn.signature().outputNames().stream().mapToInt(k -> Integer.parseInt(k.substring(3))).toArray();
      List<DataType> tin = new ArrayList<>();
      for (int i : argOrder) {
        tin.add(likes.get(i).asOutput().dataType());
      }
      List<DataType> tout = new ArrayList<>();
      for (String key : fn.signature().outputNames()) {
        tout.add(fn.signature().getOutputs().get(key).dataType);
      }
      checkArgTypes(fn, tin, tout);
      return new Definition(fn.getDefinedName(), argOrder, outOrder, tin, tout, List.copyOf(shapes), mustCompile);
    } finally {
      if (fn != null) {
        fn.close();
      }
    }
  }

  /**
   * A function attached by {@link #define}: its name, the signature's order of arguments and
   * outputs (indices into the body's), their dtypes in that order, and the body's output shapes.
   */
  public record Definition(String functionName, int[] argOrder, int[] outOrder, List<DataType> tin,
      List<DataType> tout, List<Shape> outputShapes, boolean mustCompile) {

    /**
     * Calls the function (with {@code _XlaMustCompile = true} when it must compile) through {@code tf}, without querying
     * the graph: {@code args} in the body's order; returns the outputs in the body's order, with
     * their static shapes (EnsureShape: the call's shape function does not know them).
     */
    public List<Output<?>> call(Ops tf, String name, List<? extends Operand<?>> args) {
      return call(tf, name, args, false);
    }

    /**
     * {@link #call}, with the call marked to be inlined into the calling graph although its body holds
     * stateful ops ({@code _lower_as_multi_device_function}: TensorFlow's function inliner otherwise
     * keeps a call whose body has stateful calls, such as the compiled pieces, and whose node has no
     * outgoing control edge, as a function call of its own). Only for a function that is not compiled.
     */
    public List<Output<?>> callInlined(Ops tf, String name, List<? extends Operand<?>> args) {
      if (mustCompile) {
        throw new IllegalStateException("function " + functionName + " must compile: it cannot be inlined");
      }
      return call(tf, name, args, true);
    }

    private List<Output<?>> call(Ops tf, String name, List<? extends Operand<?>> args, boolean inlined) {
      Output<?>[] ordered = new Output<?>[argOrder.length];
      for (int i = 0; i < argOrder.length; i++) {
        ordered[i] = args.get(argOrder[i]).asOutput();
      }
      OperationBuilder b = tf.scope().opBuilder(CALL_OP, name);
      b.addInputList(ordered);
      b.setAttr("Tin", tin.toArray(DataType[]::new));
      b.setAttr("Tout", tout.toArray(DataType[]::new));
      // by name: the FunctionDef is attached already, and attaching takes the graph's lock
      b.setAttr("f", org.tensorflow.proto.AttrValue.newBuilder()
          .setFunc(org.tensorflow.proto.NameAttrList.newBuilder().setName(functionName)).build());
      if (mustCompile) {
        b.setAttr(MUST_COMPILE_ATTR, true);
      }
      if (inlined) {
        b.setAttr(INLINE_ATTR, true);
      }
      org.tensorflow.Operation call = b.build();
      Output<?>[] outs = new Output<?>[outOrder.length];
      for (int i = 0; i < outOrder.length; i++) {
        int bodyIndex = outOrder[i];
        outs[bodyIndex] = tf.withName(name + "_out" + bodyIndex).ensureShape(call.output(i), outputShapes.get(bodyIndex))
            .asOutput();
      }
      return List.of(outs);
    }
  }

  private static void checkNameAndInputs(String name, List<? extends Operand<?>> inputs, Graph outer) {
    if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("function name must match [A-Za-z][A-Za-z0-9_]*, got '"
          + name + "'");
    }
    for (Operand<?> in : inputs) {
      Objects.requireNonNull(in, "inputs must not be null (pass only the tensors the body uses)");
      ExecutionEnvironment env = in.env();
      if (env != outer) {
        throw new IllegalArgumentException("input " + in + " is not in the scope's graph");
      }
    }
  }

  /** The body's arguments "arg0".. in {@code inner}: placeholders of the inputs' dtypes and static shapes. */
  private static List<Output<?>> addArgs(Graph inner, List<? extends Operand<?>> inputs, Signature.Builder sig) {
    Ops argTf = Ops.create(inner).withSubScope("args");
    List<Output<?>> args = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      Output<?> ph = placeholderLike(argTf.withName("arg" + i), inputs.get(i).asOutput());
      args.add(ph);
      sig.input("arg" + i, ph);
    }
    return args;
  }

  /** The body's results as outputs "out0".. of the signature; returns their static shapes. */
  private static List<Shape> addOutputs(Graph inner, String name, List<? extends Operand<?>> results,
      Signature.Builder sig) {
    if (results == null || results.isEmpty()) {
      throw new IllegalArgumentException("function '" + name + "' returns no outputs");
    }
    Ops outTf = Ops.create(inner).withSubScope("outputs");
    List<Shape> shapes = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      Operand<?> r = Objects.requireNonNull(results.get(i), "output " + i + " is null");
      if (r.env() != inner) {
        throw new IllegalArgumentException("output " + i + " of function '" + name
            + "' was not built in the function graph (use the scope and args given to the body)");
      }
      // an Identity per output keeps arguments returned as-is from becoming bare inputs
      sig.output("out" + i, outTf.withName("out" + i).identity(r));
      shapes.add(r.shape());
    }
    return shapes;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Output<?> placeholderLike(Ops tf, Output<?> in) {
    Class type = in.type();
    return tf.placeholder(type, Placeholder.shape(in.shape())).asOutput();
  }

  private static void checkArgTypes(ConcreteFunction fn, List<DataType> tin, List<DataType> tout) {
    List<DataType> defIn = fn.getFunctionDef().getSignature().getInputArgList().stream()
        .map(OpDef.ArgDef::getType).toList();
    List<DataType> defOut = fn.getFunctionDef().getSignature().getOutputArgList().stream()
        .map(OpDef.ArgDef::getType).toList();
    if (!defIn.equals(tin) || !defOut.equals(tout)) {
      throw new IllegalStateException("function " + fn.getDefinedName() + " takes " + defIn
          + " and returns " + defOut + ", but the call was built for " + tin + " -> " + tout);
    }
  }
}
