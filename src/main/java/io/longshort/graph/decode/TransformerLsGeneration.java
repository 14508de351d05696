package io.longshort.graph.decode;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * Text generation with the authors' LM as one While loop in the graph (the SavedModel
 * {@code generate} signature, same inputs and outputs as {@link Generation}'s): the prompt is fed
 * one token at a time through {@link TransformerLsDecodeStep} (loop-carried state), then each new
 * token is sampled ({@link Sampling}) from the step's log-probs. When the block fills, an If op
 * rolls it into the cache, so the per-token cost stays that of one step.
 *
 * <p>Loop variables: position i, the last position to feed, the token buffer (B, C), prompt
 * lengths, temperature, top-k, seed, the block position t, the decoding state, then the model's
 * variables as resource handles.
 *
 * <p>Letters: B batch, P prompt length, C capacity, M block, V vocabulary.
 */
public final class TransformerLsGeneration {
  private static final int I = 0;
  private static final int STEPS = 1;
  private static final int BUFFER = 2;
  private static final int LENGTHS = 3;
  private static final int TEMPERATURE = 4;
  private static final int TOP_K = 5;
  private static final int SEED = 6;
  private static final int T = 7;
  private static final int STATE = 8;

  private TransformerLsGeneration() {}

  /**
   * Adds the loop to {@code owner}'s graph.
   *
   * @param batch B, static (the decoding state has static shapes)
   * @param block M, a block the model runs unpadded (a multiple of C_chunk, at most W or a multiple of W)
   * @param capacity C, the most positions of prompt and continuation
   */
  public static <T extends TFloating> Generation.Outputs build(Ops tf, Parameters<T> owner, TransformerLsSpec spec,
      long batch, int block, int capacity, Generation.Inputs in) {
    if (spec.paddedBlock(block) != block) {
      throw new IllegalArgumentException("generation: block (" + block + ") must be a block the model runs unpadded"
          + " (a multiple of chunk_size " + spec.chunkSize() + ")");
    }
    Class<T> dtype = owner.dtype();
    Graph bodyGraph = new Graph();
    Graph condGraph = new Graph();
    Graph rollGraph = new Graph();
    Graph keepGraph = new Graph();
    try {
      Parameters<T> bodyParams = Parameters.forFunctionBody(bodyGraph, owner);
      TransformerLsDecodeStep<T> bodyDecode = new TransformerLsDecodeStep<>(spec,
          new TransformerLsLayers<>(GraphScope.root(bodyParams), spec, Dropout.none()), batch, block, dtype);
      List<TransformerLsDecodeStep.Slot> slots = bodyDecode.slots();
      List<Shape> shapes = new ArrayList<>(List.of(Shape.scalar(), Shape.scalar(), Shape.of(batch, capacity),
          Shape.of(batch), Shape.of(batch), Shape.of(batch), Shape.of(batch), Shape.scalar()));
      List<Class<? extends TType>> types = new ArrayList<>(List.of(TInt32.class, TInt32.class, TInt32.class,
          TInt32.class, TFloat32.class, TInt32.class, TInt64.class, TInt32.class));
      List<Shape> stateShapes = new ArrayList<>();
      List<Class<? extends TType>> stateTypes = new ArrayList<>();
      for (TransformerLsDecodeStep.Slot s : slots) {
        stateShapes.add(Shape.of(s.shape()));
        stateTypes.add(dtype);
      }
      shapes.addAll(stateShapes);
      types.addAll(stateTypes);
      List<Parameter<T>> params = owner.list();
      Graph outer = owner.graph();

      // the roll and keep branches: decoding state (+ handles) -> decoding state
      Generation.LoopFunction rollFn = branch(rollGraph, outer, owner, spec, batch, block, dtype, stateTypes,
          stateShapes, params, true);
      Generation.LoopFunction keepFn = branch(keepGraph, outer, owner, spec, batch, block, dtype, stateTypes,
          stateShapes, params, false);

      // the body's If calls the branches: its graph must hold them too
      bodyGraph.importGraphDef(org.tensorflow.proto.GraphDef.newBuilder().setLibrary(
          org.tensorflow.proto.FunctionDefLibrary.newBuilder().addFunction(rollFn.def()).addFunction(keepFn.def()))
          .build());
      Ops btf = Ops.create(bodyGraph);
      List<Operand<?>> state = Generation.placeholders(btf.withSubScope("state"), types, shapes);
      List<Operand<?>> bodyHandles = Generation.handles(bodyParams, params);
      List<Operand<?>> next = bodyStep(btf, bodyDecode, spec, block, capacity, state, bodyHandles, rollFn, keepFn, dtype);
      Generation.LoopFunction body = Generation.function(bodyGraph, outer, "ls_generate_body", state, bodyHandles,
          next, true);

      Parameters<T> condParams = Parameters.forFunctionBody(condGraph, owner);
      Ops ctf = Ops.create(condGraph);
      List<Operand<?>> condState = Generation.placeholders(ctf.withSubScope("state"), types, shapes);
      List<Operand<?>> condHandles = Generation.handles(condParams, params);
      Operand<TBool> keepGoing = ctf.math.less(Generation.as(condState.get(I), TInt32.class),
          Generation.as(condState.get(STEPS), TInt32.class));
      Generation.LoopFunction cond = Generation.function(condGraph, outer, "ls_generate_cond", condState, condHandles,
          List.of(keepGoing), false);

      // the initial state in the outer graph: (B, P) -> (B, C); a prompt longer than C fails here
      Operand<TInt32> promptLength = Shapes.reshape(tf,
          Shapes.slice(tf, tf.shape(in.promptIds()), new long[] {1}, new long[] {1}), new long[0]);
      Operand<TInt32> paddings = tf.stack(List.of(tf.constant(new int[] {0, 0}),
          tf.stack(List.of(tf.constant(0), tf.math.sub(tf.constant(capacity), promptLength)))));
      Operand<TInt32> buffer = Shapes.reshape(tf, tf.pad(in.promptIds(), paddings, tf.constant(0)), batch, capacity);
      Operand<TInt32> longest = tf.max(tf.math.add(in.promptLengths(), in.maxNewTokens()), tf.constant(0));
      Operand<TInt32> steps = tf.math.minimum(tf.math.sub(longest, tf.constant(1)), tf.constant(capacity - 1));
      List<Operand<?>> init = new ArrayList<>(List.of(tf.constant(0), steps, buffer, in.promptLengths(),
          in.temperature(), in.topK(), in.seed(), tf.constant(0)));
      // the zero cache's state: rolling an all-zero state gives it (the zero cache and its summary)
      List<Operand<?>> zeros = new ArrayList<>();
      for (Shape sh : stateShapes) {
        zeros.add(tf.fill(tf.constant(java.util.Arrays.stream(sh.asArray()).mapToInt(Math::toIntExact).toArray()),
            tf.constant(dtype, 0.0)));
      }
      List<Operand<?>> zeroIn = new ArrayList<>(zeros);
      for (Parameter<T> p : params) {
        zeroIn.add(p.handle());
      }
      init.addAll(ifOp(tf, "zero_state", tf.constant(true), zeroIn, zeros, rollFn, keepFn));
      for (Parameter<T> p : params) {
        init.add(p.handle());
      }
      List<Output<?>> out = Generation.whileLoop(tf, "ls_generate_loop", init, cond, body);

      return Generation.outputs(tf, Generation.as(out.get(BUFFER), TInt32.class), in, capacity);
    } finally {
      bodyGraph.close();
      condGraph.close();
      rollGraph.close();
      keepGraph.close();
    }
  }

  /** A branch of the If: the decoding state rolled into the cache ({@code roll}) or as it is. */
  private static <T extends TFloating> Generation.LoopFunction branch(Graph g, Graph outer, Parameters<T> owner,
      TransformerLsSpec spec, long batch, int block, Class<T> dtype, List<Class<? extends TType>> types,
      List<Shape> shapes, List<Parameter<T>> params, boolean roll) {
    Parameters<T> ps = Parameters.forFunctionBody(g, owner);
    Ops gtf = Ops.create(g);
    List<Operand<?>> state = Generation.placeholders(gtf.withSubScope("state"), types, shapes);
    List<Operand<?>> results;
    TransformerLsDecodeStep<T> decode = new TransformerLsDecodeStep<>(spec,
        new TransformerLsLayers<>(GraphScope.root(ps), spec, Dropout.none()), batch, block, dtype);
    if (roll) {
      Map<String, Operand<T>> values = new java.util.LinkedHashMap<>();
      List<TransformerLsDecodeStep.Slot> slots = decode.slots();
      for (int j = 0; j < slots.size(); j++) {
        values.put(slots.get(j).name(), Generation.as(state.get(j), dtype));
      }
      results = new ArrayList<>(decode.roll(gtf, values).values());
    } else {
      results = new ArrayList<>(state);
    }
    List<Operand<?>> handles = Generation.handles(ps, params);
    return Generation.function(g, outer, roll ? "ls_roll" : "ls_keep", state, handles, results, false);
  }

  /** One iteration: feed buffer[:, i] at block position t, write position i + 1, roll a full block. */
  private static <T extends TFloating> List<Operand<?>> bodyStep(Ops tf, TransformerLsDecodeStep<T> decode,
      TransformerLsSpec spec, int block, int capacity, List<Operand<?>> state, List<Operand<?>> handles,
      Generation.LoopFunction rollFn, Generation.LoopFunction keepFn, Class<T> dtype) {
    Operand<TInt32> i = Generation.as(state.get(I), TInt32.class);
    Operand<TInt32> t = Generation.as(state.get(T), TInt32.class);
    Operand<TInt32> buffer = Generation.as(state.get(BUFFER), TInt32.class);
    Operand<TInt32> lengths = Generation.as(state.get(LENGTHS), TInt32.class);
    List<TransformerLsDecodeStep.Slot> slots = decode.slots();
    Map<String, Operand<T>> values = new java.util.LinkedHashMap<>();
    for (int j = 0; j < slots.size(); j++) {
      values.put(slots.get(j).name(), Generation.as(state.get(STATE + j), dtype));
    }
    // (B)
    Operand<TInt32> ids = tf.gather(buffer, i, tf.constant(1));
    TransformerLsDecodeStep.Step<T> step = decode.step(tf, values, ids, t);
    Operand<TInt32> sampled = Sampling.sample(tf, tf.dtypes.cast(step.logprobs(), TFloat32.class),
        Generation.as(state.get(TEMPERATURE), TFloat32.class), Generation.as(state.get(TOP_K), TInt32.class),
        Generation.as(state.get(SEED), TInt64.class), i, spec.vocabSize());
    Operand<TInt32> nextPos = tf.math.add(i, tf.constant(1));
    Operand<TInt32> prompt = tf.gather(buffer, nextPos, tf.constant(1));
    Operand<TInt32> chosen = tf.select(tf.math.less(nextPos, lengths), prompt, sampled);
    Operand<TBool> column = Shapes.reshape(tf, tf.math.equal(tf.range(tf.constant(0), tf.constant(capacity),
        tf.constant(1)), nextPos), 1, capacity);
    Operand<TInt32> written = tf.select(column, tf.expandDims(chosen, tf.constant(1)), buffer);

    // a full block rolls into the cache (an If, so the roll runs once per block)
    Operand<TInt32> t1 = tf.math.add(t, tf.constant(1));
    Operand<TBool> full = tf.math.equal(t1, tf.constant(block));
    List<Operand<?>> branchIn = new ArrayList<>(step.state().values());
    branchIn.addAll(handles);
    List<Operand<?>> rolled = ifOp(tf, "roll_if_full", full, branchIn, new ArrayList<>(step.state().values()), rollFn,
        keepFn);
    Operand<TInt32> t2 = tf.select(full, tf.constant(0), t1);

    List<Operand<?>> next = new ArrayList<>(List.of(nextPos, state.get(STEPS), written, lengths,
        state.get(TEMPERATURE), state.get(TOP_K), state.get(SEED), t2));
    next.addAll(rolled);
    return next;
  }

  /**
   * An If op: {@code then} or {@code otherwise} applied to {@code inputs} (state, then handles);
   * returns outputs shaped and typed like {@code like}.
   */
  private static List<Operand<?>> ifOp(Ops tf, String name, Operand<TBool> cond, List<Operand<?>> inputs,
      List<Operand<?>> like, Generation.LoopFunction then, Generation.LoopFunction otherwise) {
    OperationBuilder b = tf.scope().opBuilder("If", name);
    b.addInput(cond.asOutput());
    Output<?>[] in = inputs.stream().map(Operand::asOutput).toArray(Output<?>[]::new);
    b.addInputList(in);
    b.setAttr("Tcond", DataType.DT_BOOL);
    b.setAttr("Tin", java.util.Arrays.stream(in).map(Output::dataType).toArray(DataType[]::new));
    b.setAttr("Tout", like.stream().map(o -> o.asOutput().dataType()).toArray(DataType[]::new));
    b.setAttr("then_branch", then.attr());
    b.setAttr("else_branch", otherwise.attr());
    b.setAttr("output_shapes", like.stream().map(o -> o.asOutput().shape()).toArray(Shape[]::new));
    Operation op = b.build();
    List<Operand<?>> out = new ArrayList<>();
    for (int j = 0; j < like.size(); j++) {
      out.add(tf.ensureShape(op.output(j), like.get(j).asOutput().shape()));
    }
    return out;
  }
}
