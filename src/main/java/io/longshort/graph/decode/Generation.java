package io.longshort.graph.decode;

import io.longshort.graph.core.CompiledCalls;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gather;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.OpDef;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * Text generation as one While loop in the graph, so a single session run (one TF Serving
 * request) decodes a whole continuation: the loop feeds the prompt one token at a time through an
 * {@link IncrementalDecoder} step (prefill), then samples each new token from the step's logits.
 * Rows are left-aligned, so every row is at the same position; a row whose prompt is longer
 * keeps its prompt token where the others already sample.
 *
 * <p>Loop variables: the position i, the last position to feed, the token buffer (B, C), the
 * prompt lengths, temperature, top-k and seed, the decode cache, and the model's variables as
 * resource handles (passed through unchanged: a function body reaches variables only as
 * arguments). Body and condition are functions in the graph's library, so a SavedModel of the
 * graph carries them.
 *
 * <p>Sampling ({@link Sampling}), per row: temperature &lt;= 0 is greedy (argmax); otherwise
 * logits / temperature restricted to the top-k (k &lt;= 0 or k >= V: all) and the Gumbel-max trick
 * with noise hashed from (seed, position, token), so a seed gives the same tokens on every run,
 * every loader and in any batch.
 *
 * <p>Letters: B batch, C capacity, V vocabulary, M the largest max new tokens; prompts are (B, prompt).
 */
public final class Generation {
  private Generation() {}

  /**
   * The loop's inputs, all in the graph the loop goes into, all per row (so TF Serving can batch
   * requests): prompt ids (B, prompt), prompt lengths, max new tokens, temperature, top-k, seed (B).
   */
  public record Inputs(Operand<TInt32> promptIds, Operand<TInt32> promptLengths, Operand<TInt32> maxNewTokens,
      Operand<TFloat32> temperature, Operand<TInt32> topK, Operand<TInt64> seed) {}

  /**
   * @param tokens (B, C) each row's prompt, then its generated tokens (and more; see lengths)
   * @param newTokens (B, M) the tokens after each row's prompt, M the largest max new tokens; -1
   *     past the row's own max new tokens or the capacity
   * @param lengths (B) prompt length + max new tokens, at most C
   */
  /**
   * The handles of {@code params} (the outer graph's) as the function body whose parameters are
   * {@code body} reads them, in order: what a loop function captures.
   */
  static <T extends TFloating> List<Operand<?>> handles(Parameters<T> body, List<Parameter<T>> params) {
    List<Operand<?>> handles = new ArrayList<>();
    for (Parameter<T> p : params) {
      handles.add(body.getOrCreate(p.name(), p.shape(), Initializer.zeros()).handle());
    }
    return handles;
  }

  public record Outputs(Operand<TInt32> tokens, Operand<TInt32> newTokens, Operand<TInt32> lengths) {}

  private static final int I = 0;
  private static final int STEPS = 1;
  private static final int BUFFER = 2;
  private static final int LENGTHS = 3;
  private static final int TEMPERATURE = 4;
  private static final int TOP_K = 5;
  private static final int SEED = 6;
  private static final int CACHE = 7;

  /**
   * Adds the loop to {@code owner}'s graph, under {@code tf}'s name scope.
   *
   * @param owner the model's parameters (created there when missing, e.g. in a graph of its own)
   * @param capacity C: prompts and continuations together fit in C positions
   */
  public static <T extends TFloating> Outputs build(Ops tf, Parameters<T> owner, ModelSpec spec, int capacity,
      Inputs in) {
    return build(tf, owner, spec, capacity, in, null);
  }

  /**
   * Like {@link #build(Ops, Parameters, ModelSpec, int, Inputs)}; with {@code compileStep} (null
   * for none) the loop's step (one decoder step and the sampling of its token, everything in the
   * body but the loop bookkeeping) is a function it builds (XLA must-compile), called
   * from the body. The loop itself stays a While op run by TensorFlow: its trip count and the
   * width of {@code new_tokens} come from the per-row max new tokens of each request, which XLA
   * cannot size at compile time; the step has static shapes apart from the batch.
   */
  public static <T extends TFloating> Outputs build(Ops tf, Parameters<T> owner, ModelSpec spec, int capacity,
      Inputs in, CompiledCalls compileStep) {
    Class<T> dtype = owner.dtype();
    // the body first: it creates any parameter the owner does not have yet
    Graph bodyGraph = new Graph();
    Graph condGraph = new Graph();
    try {
      Parameters<T> bodyParams = Parameters.forFunctionBody(bodyGraph, owner);
      Ops btf = Ops.create(bodyGraph);
      IncrementalDecoder<T> decoder = new IncrementalDecoder<>(GraphScope.root(bodyParams), spec, capacity);
      DecodeCache layout = decoder.cache();
      List<Shape> shapes = stateShapes(layout, capacity);
      List<Class<? extends TType>> types = stateTypes(layout, dtype);
      List<Operand<?>> state = placeholders(btf.withSubScope("state"), types, shapes);
      List<Operand<?>> next = compileStep != null
          ? compiledStep(compileStep, GraphScope.root(bodyParams), spec, capacity, state)
          : bodyStep(btf, decoder, spec, capacity, state);
      List<Parameter<T>> params = owner.list();
      List<Operand<?>> bodyHandles = handles(bodyParams, params);
      Graph outer = owner.graph();
      LoopFunction body = function(bodyGraph, outer, "generate_body", state, bodyHandles, next, true);

      Parameters<T> condParams = Parameters.forFunctionBody(condGraph, owner);
      Ops ctf = Ops.create(condGraph);
      List<Operand<?>> condState = placeholders(ctf.withSubScope("state"), types, shapes);
      List<Operand<?>> condHandles = handles(condParams, params);
      Operand<TBool> keepGoing = ctf.math.less(as(condState.get(I), TInt32.class), as(condState.get(STEPS), TInt32.class));
      LoopFunction cond = function(condGraph, outer, "generate_cond", condState, condHandles, List.of(keepGoing),
          false);

      // the initial state in the outer graph
      Operand<TInt32> batch = Shapes.slice(tf, tf.shape(in.promptIds()), new long[] {0}, new long[] {1});
      Operand<TInt32> promptLength = Shapes.reshape(tf,
          Shapes.slice(tf, tf.shape(in.promptIds()), new long[] {1}, new long[] {1}), new long[0]);
      // (B, prompt) -> (B, C); a prompt longer than C fails here (negative padding)
      Operand<TInt32> paddings = tf.stack(List.of(tf.constant(new int[] {0, 0}),
          tf.stack(List.of(tf.constant(0), tf.math.sub(tf.constant(capacity), promptLength)))));
      Operand<TInt32> buffer = Shapes.reshape(tf, tf.pad(in.promptIds(), paddings, tf.constant(0)), -1, capacity);
      // feed positions 0 .. steps-1; the last writes position steps <= C - 1
      Operand<TInt32> longest = tf.max(tf.math.add(in.promptLengths(), in.maxNewTokens()), tf.constant(0));
      Operand<TInt32> steps = tf.math.minimum(tf.math.sub(longest, tf.constant(1)), tf.constant(capacity - 1));
      List<Operand<?>> init = new ArrayList<>(List.of(tf.constant(0), steps, buffer, in.promptLengths(),
          in.temperature(), in.topK(), in.seed()));
      init.addAll(layout.zeros(tf, dtype, Shapes.reshape(tf, batch, new long[0])));
      for (Parameter<T> p : params) {
        init.add(p.handle());
      }
      List<Output<?>> out = whileLoop(tf, init, cond, body);

      return outputs(tf, as(out.get(BUFFER), TInt32.class), in, capacity);
    } finally {
      bodyGraph.close();
      condGraph.close();
    }
  }

  /** A While op over {@code init} (state, then handles); its outputs in the same order. */
  private static List<Output<?>> whileLoop(Ops tf, List<Operand<?>> init, LoopFunction cond, LoopFunction body) {
    return whileLoop(tf, "generate_loop", init, cond, body);
  }

  /** The same, named {@code name} (also used by {@link StreamScoring}). */
  static List<Output<?>> whileLoop(Ops tf, String name, List<Operand<?>> init, LoopFunction cond, LoopFunction body) {
    OperationBuilder b = tf.scope().opBuilder("While", name);
    Output<?>[] inputs = init.stream().map(Operand::asOutput).toArray(Output<?>[]::new);
    b.addInputList(inputs);
    b.setAttr("T", java.util.Arrays.stream(inputs).map(Output::dataType).toArray(DataType[]::new));
    b.setAttr("cond", cond.attr());
    b.setAttr("body", body.attr());
    b.setAttr("output_shapes", java.util.Arrays.stream(inputs).map(Output::shape).toArray(Shape[]::new));
    b.setAttr("parallel_iterations", 1L);
    Operation op = b.build();
    List<Output<?>> out = new ArrayList<>();
    for (int j = 0; j < inputs.length; j++) {
      out.add(op.output(j));
    }
    return out;
  }

  /**
   * {@link #bodyStep} as a must-compile function of the state, with a decoder of its own built in
   * the function's graph (same parameter names, so the same variables).
   */
  private static <T extends TFloating> List<Operand<?>> compiledStep(CompiledCalls compiled, GraphScope<T> bodyRoot,
      ModelSpec spec, int capacity, List<Operand<?>> state) {
    List<org.tensorflow.Output<?>> outputs = compiled.call(bodyRoot, "generate_step", state, (scope, args) -> {
      List<Operand<?>> in = new ArrayList<>();
      for (int j = 0; j < args.size(); j++) {
        in.add(args.get(j));
      }
      return bodyStep(scope.tf(), new IncrementalDecoder<>(scope, spec, capacity), spec, capacity, in);
    });
    return new ArrayList<>(outputs);
  }

  /** One iteration: feed buffer[:, i] at position i, write position i + 1. */
  private static <T extends TFloating> List<Operand<?>> bodyStep(Ops tf, IncrementalDecoder<T> decoder,
      ModelSpec spec, int capacity, List<Operand<?>> state) {
    Operand<TInt32> i = as(state.get(I), TInt32.class);
    Operand<TInt32> buffer = as(state.get(BUFFER), TInt32.class);
    Operand<TInt32> lengths = as(state.get(LENGTHS), TInt32.class);
    List<Operand<T>> cache = new ArrayList<>();
    Class<T> dtype = decoder.dtype();
    for (int j = CACHE; j < state.size(); j++) {
      cache.add(as(state.get(j), dtype));
    }
    // (B)
    Operand<TInt32> ids = tf.gather(buffer, i, tf.constant(1));
    IncrementalDecoder.Step<T> step = decoder.step(ids, i, cache);
    Operand<TInt32> sampled = Sampling.sample(tf, tf.dtypes.cast(step.logits(), TFloat32.class),
        as(state.get(TEMPERATURE), TFloat32.class), as(state.get(TOP_K), TInt32.class),
        as(state.get(SEED), TInt64.class), i, spec.vocabSize());
    Operand<TInt32> nextPos = tf.math.add(i, tf.constant(1));
    // rows still inside their prompt keep the prompt's token
    Operand<TInt32> prompt = tf.gather(buffer, nextPos, tf.constant(1));
    Operand<TInt32> chosen = tf.select(tf.math.less(nextPos, lengths), prompt, sampled);
    // (1, C) one-hot column
    Operand<TBool> column = Shapes.reshape(tf, tf.math.equal(CacheWrites.rowIds(tf, capacity), nextPos), 1, capacity);
    Operand<TInt32> written = tf.select(column, tf.expandDims(chosen, tf.constant(1)), buffer);
    List<Operand<?>> next = new ArrayList<>(List.of(nextPos, state.get(STEPS), written, lengths,
        state.get(TEMPERATURE), state.get(TOP_K), state.get(SEED)));
    next.addAll(step.cache());
    return next;
  }

  private static List<Shape> stateShapes(DecodeCache layout, int capacity) {
    List<Shape> s = new ArrayList<>(List.of(Shape.scalar(), Shape.scalar(), Shape.of(-1, capacity), Shape.of(-1),
        Shape.of(-1), Shape.of(-1), Shape.of(-1)));
    for (DecodeCache.Entry e : layout.entries()) {
      s.add(Shape.of(-1, e.rows(), e.cols()));
    }
    return s;
  }

  private static List<Class<? extends TType>> stateTypes(DecodeCache layout, Class<? extends TType> dtype) {
    List<Class<? extends TType>> t = new ArrayList<>(List.of(TInt32.class, TInt32.class, TInt32.class, TInt32.class,
        TFloat32.class, TInt32.class, TInt64.class));
    for (int j = 0; j < layout.size(); j++) {
      t.add(dtype);
    }
    return t;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static List<Operand<?>> placeholders(Ops tf, List<Class<? extends TType>> types, List<Shape> shapes) {
    List<Operand<?>> out = new ArrayList<>();
    for (int j = 0; j < types.size(); j++) {
      Class type = types.get(j);
      out.add(tf.withName(key(j)).placeholder(type, Placeholder.shape(shapes.get(j))));
    }
    return out;
  }

  /**
   * A function of the state and the variable handles returning {@code results}: the condition
   * (one bool) as it is; for the body ({@code passThrough}) the new state, then the handles
   * unchanged, added to the FunctionDef by hand since TF Java's ConcreteFunction cannot hold a
   * DT_RESOURCE output; that function is imported into {@code outer} under {@code name}.
   */
  static LoopFunction function(Graph g, Graph outer, String name, List<Operand<?>> state,
      List<Operand<?>> handles, List<Operand<?>> results, boolean passThrough) {
    Ops out = Ops.create(g).withSubScope("out");
    Signature.Builder sig = Signature.builder().key(name).methodName(name);
    int n = 0;
    for (Operand<?> s : state) {
      sig.input(key(n++), s);
    }
    for (Operand<?> h : handles) {
      sig.input(key(n++), h);
    }
    int m = 0;
    // an Identity per output keeps arguments returned as they are from becoming bare inputs
    for (Operand<?> r : results) {
      sig.output(key(m), out.withName(key(m)).identity(r));
      m++;
    }
    try (ConcreteFunction fn = ConcreteFunction.create(sig.build(), g)) {
      List<String> inOrder = List.copyOf(fn.signature().inputNames());
      List<String> outOrder = List.copyOf(fn.signature().outputNames());
      for (int j = 0; j < inOrder.size(); j++) {
        if (!inOrder.get(j).equals(key(j)) || (j < outOrder.size() && !outOrder.get(j).equals(key(j)))) {
          throw new IllegalStateException("function " + name + " reordered its arguments: " + inOrder + " -> "
              + outOrder);
        }
      }
      FunctionDef def = fn.getFunctionDef();
      if (!passThrough) {
        outer.attachFunction(fn);
        return new LoopFunction(def.getSignature().getName(), def);
      }
      FunctionDef.Builder b = def.toBuilder();
      String defined = name + "_loop_" + Integer.toHexString(def.hashCode() & 0x7fffffff);
      b.getSignatureBuilder().setName(defined);
      List<OpDef.ArgDef> args = def.getSignature().getInputArgList();
      if (args.size() != state.size() + handles.size()) {
        throw new IllegalStateException("function " + name + " has " + args.size() + " arguments, expected "
            + (state.size() + handles.size()));
      }
      for (int j = state.size(); j < args.size(); j++) {
        OpDef.ArgDef arg = args.get(j);
        if (arg.getType() != DataType.DT_RESOURCE) {
          throw new IllegalStateException("function " + name + ": argument " + j + " is " + arg.getType()
              + ", expected a variable handle");
        }
        String outName = "handle_" + (j - state.size());
        b.getSignatureBuilder().addOutputArg(OpDef.ArgDef.newBuilder().setName(outName).setType(DataType.DT_RESOURCE));
        b.putRet(outName, arg.getName());
      }
      FunctionDef loopDef = b.build();
      FunctionDefLibrary.Builder lib = FunctionDefLibrary.newBuilder().addFunction(loopDef);
      // functions the body calls (a compiled step) go along, unless the outer graph has them
      List<FunctionDef> called = g.toGraphDef().getLibrary().getFunctionList();
      if (!called.isEmpty()) {
        java.util.Set<String> known = new java.util.HashSet<>();
        outer.toGraphDef().getLibrary().getFunctionList().forEach(f -> known.add(f.getSignature().getName()));
        for (FunctionDef f : called) {
          if (known.add(f.getSignature().getName())) {
            lib.addFunction(f);
          }
        }
      }
      outer.importGraphDef(GraphDef.newBuilder().setLibrary(lib).build());
      return new LoopFunction(defined, loopDef);
    }
  }

  /** A function in the outer graph's library, by name. */
  record LoopFunction(String name, FunctionDef def) {
    AttrValue attr() {
      return AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(name)).build();
    }
  }

  private static String key(int j) {
    return String.format("v%04d", j);
  }

  static <U extends TType> Operand<U> as(Operand<?> x, Class<U> type) {
    return x.asOutput().expect(type);
  }

  /**
   * The signature's outputs of a finished decode loop, shared by every generation loop:
   * {@code tokens} (B, C) the loop's buffer, {@code lengths} (B), and {@code new_tokens} (B, M),
   * M the largest max new tokens, -1 past a row's own.
   */
  static Outputs outputs(Ops tf, Operand<TInt32> buffer, Inputs in, int capacity) {
    Operand<TInt32> tokens = tf.withName("tokens").identity(buffer);
    Operand<TInt32> lengths = tf.withName("lengths").identity(tf.math.minimum(
        tf.math.add(in.promptLengths(), in.maxNewTokens()), tf.constant(capacity)));
    // (B, M) positions len_b + j, M = the largest max new tokens
    Operand<TInt32> offsets = Shapes.reshape(tf, tf.range(tf.constant(0), tf.max(in.maxNewTokens(), tf.constant(0)),
        tf.constant(1)), 1, -1);
    Operand<TInt32> positions = tf.math.add(tf.expandDims(in.promptLengths(), tf.constant(1)), offsets);
    Operand<TInt32> clipped = tf.math.minimum(positions, tf.constant(capacity - 1));
    Operand<TInt32> gathered = tf.gather(tokens, clipped, tf.constant(1), Gather.batchDims(1L));
    Operand<TBool> wanted = tf.math.logicalAnd(tf.math.less(positions, tf.constant(capacity)),
        tf.math.less(offsets, tf.expandDims(in.maxNewTokens(), tf.constant(1))));
    Operand<TInt32> newTokens = tf.withName("new_tokens").select(wanted, gathered,
        tf.math.sub(tf.zerosLike(gathered), tf.constant(1)));
    return new Outputs(tokens, newTokens, lengths);
  }
}
