package io.longshort.graph.decode;

import io.longshort.graph.core.CompiledCalls;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.OwnedGraph;
import io.longshort.graph.core.Parameters;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' LM one token at a time, giving the numbers of streaming scoring: inside a block of
 * M, the log-probs at block position t are row t of the block's forward from the previous blocks'
 * cache; when the block fills (padded with id 0 to the forward's padded length Mp, as the forward
 * pads it) it rolls into the cache: the cache becomes the last L positions of [cache ; the block's
 * layer inputs], and what blocks read of it (its compressed chunks and its window tail,
 * {@link io.longshort.graph.attention.ChunkedLongShortAttention.CacheSummary}) is computed once.
 *
 * <p>State lives in resource variables (per layer: the cache, its summary, the block's layer
 * inputs, raw keys, values and dconv_1 scores so far), so a step moves no cache across the host
 * and costs O(W + Mp + S) per layer and head, whatever the length generated. The step can be one
 * function compiled by XLA (must-compile), its state bound as resource arguments.
 *
 * <p>Letters: B batch, M block, Mp padded block, L cache length, D width, H heads, K head width,
 * R rank, S compressed slots, W window, V vocabulary.
 */
public final class TransformerLsDecoder<T extends TFloating> extends OwnedGraph {
  private final TransformerLsSpec spec;
  private final long batch;
  private final int block;
  private final int padded;
  private final Parameters<T> params;
  private final Placeholder<TInt32> ids;
  private final Placeholder<TInt32> position;
  private final Operand<T> logprobs;
  private final List<Op> reset = new ArrayList<>();
  private final List<Op> roll = new ArrayList<>();
  private int t;

  /** One variable of the decoding state: name, shape. */
  private record Slot(String name, long[] shape) {}

  private TransformerLsDecoder(TransformerLsSpec spec, Class<T> dtype, long batch, int block, long seed,
      CompiledCalls compiled) {
    this.spec = spec;
    this.batch = batch;
    this.block = block;
    this.padded = spec.paddedBlock(block);
    try {
      params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      ids = tf.withName("ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch)));
      position = tf.withName("position").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
      TransformerLsLayers<T> layers = new TransformerLsLayers<>(root, spec, Dropout.none());
      TransformerLsDecodeStep<T> decode = new TransformerLsDecodeStep<>(spec, layers, batch, padded, dtype);
      Ops init = tf.withSubScope("decode_state");
      Map<String, Operand<?>> handles = new LinkedHashMap<>();
      for (TransformerLsDecodeStep.Slot slot : decode.slots()) {
        handles.put(slot.name(), init.withName(slot.name().replace('.', '_')).varHandleOp(dtype, Shape.of(slot.shape()),
            VarHandleOp.sharedName("decode_state." + slot.name())));
      }
      assignAll(tf, handles, decode.zero(tf), reset);
      assignAll(tf, handles, decode.roll(tf, readAll(tf, handles, decode, dtype)), roll);
      if (compiled != null) {
        logprobs = compiled.call(root, "decode_step", List.of(ids, position), (scope, args) -> {
          Ops btf = scope.tf();
          Map<String, Operand<?>> inner = new LinkedHashMap<>();
          for (TransformerLsDecodeStep.Slot slot : decode.slots()) {
            Operand<?> h = btf.withName("state_" + slot.name().replace('.', '_')).varHandleOp(dtype,
                Shape.of(slot.shape()), VarHandleOp.sharedName("decode_state." + slot.name()));
            args.bindResource(h, handles.get(slot.name()));
            inner.put(slot.name(), h);
          }
          TransformerLsDecodeStep<T> bodyDecode = new TransformerLsDecodeStep<>(spec,
              new TransformerLsLayers<>(scope, spec, Dropout.none()), batch, padded, dtype);
          return List.of(step(btf, bodyDecode, inner, args.get(0, TInt32.class), args.get(1, TInt32.class), dtype));
        }).get(0).expect(dtype);
      } else {
        logprobs = step(tf, decode, handles, ids, position, dtype);
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * A decoder for blocks of {@code block} tokens; {@code compiled}: its step built as one function
   * (XLA must-compile), or null for plain ops.
   */
  public static <T extends TFloating> TransformerLsDecoder<T> build(TransformerLsSpec spec, Class<T> dtype, long batch,
      int block, long seed, CompiledCalls compiled) {
    return new TransformerLsDecoder<>(spec, dtype, batch, block, seed, compiled);
  }

  @SuppressWarnings("unchecked")
  private static <T extends TFloating> Map<String, Operand<T>> readAll(Ops tf, Map<String, Operand<?>> handles,
      TransformerLsDecodeStep<T> decode, Class<T> dtype) {
    Map<String, Operand<T>> out = new LinkedHashMap<>();
    for (TransformerLsDecodeStep.Slot slot : decode.slots()) {
      out.put(slot.name(), tf.readVariableOp((Operand<? extends org.tensorflow.types.family.TType>)
          handles.get(slot.name()), dtype));
    }
    return out;
  }

  /** Assigns every value whose state entry changed (a new tensor) to its variable. */
  private static <T extends TFloating> void assignAll(Ops tf, Map<String, Operand<?>> handles,
      Map<String, Operand<T>> values, List<Op> into) {
    values.forEach((name, v) -> into.add(tf.assignVariableOp(handles.get(name), v)));
  }

  /** Reads the state, runs the step, writes the block buffers back: the log-probs wait for the writes. */
  private static <T extends TFloating> Operand<T> step(Ops tf, TransformerLsDecodeStep<T> decode,
      Map<String, Operand<?>> handles, Operand<TInt32> stepIds, Operand<TInt32> t, Class<T> dtype) {
    Map<String, Operand<T>> before = readAll(tf, handles, decode, dtype);
    TransformerLsDecodeStep.Step<T> s = decode.step(tf, before, stepIds, t);
    List<Op> writes = new ArrayList<>();
    s.state().forEach((name, v) -> {
      if (v != before.get(name)) {
        writes.add(tf.assignVariableOp(handles.get(name), v));
      }
    });
    return tf.withControlDependencies(writes).withName("logprobs").identity(s.logprobs());
  }

  /** Starts a new stream: the zero cache, block position 0. */
  public void reset() {
    Session.Runner r = session().runner();
    reset.forEach(r::addTarget);
    r.run().close();
    t = 0;
  }

  /**
   * Feeds the tokens at the next position (one per row) and returns their log-probs (B, V)
   * row-major: the distribution of the token after them. A full block rolls into the cache.
   */
  public double[] step(int[] tokens) {
    double[] out = run(tokens);
    t++;
    if (t == block) {
      // the forward pads a block that is not a multiple of C with id 0: those positions enter the cache too
      int[] pad = new int[Math.toIntExact(batch)];
      while (t < padded) {
        run(pad);
        t++;
      }
      Session.Runner r = session().runner();
      roll.forEach(r::addTarget);
      r.run().close();
      t = 0;
    }
    return out;
  }

  private double[] run(int[] tokens) {
    try (var idTensor = HostTensors.ints(new long[] {batch}, tokens);
        var pos = org.tensorflow.types.TInt32.scalarOf(t);
        var result = session().runner().feed(ids, idTensor).feed(position, pos).fetch(logprobs).run()) {
      return HostTensors.toDoubles(result.get(0));
    }
  }

  /** The block position the next token goes to. */
  public int position() {
    return t;
  }

  public TransformerLsSpec spec() {
    return spec;
  }

  public Parameters<T> parameters() {
    return params;
  }

  /** After the parameters, the zero state (the session is opened on first use). */
  @Override
  protected void initialized(Session session) {
    Session.Runner r = session.runner();
    reset.forEach(r::addTarget);
    r.run().close();
  }
}
