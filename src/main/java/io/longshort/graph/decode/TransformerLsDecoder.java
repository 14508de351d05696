package io.longshort.graph.decode;

import io.longshort.compile.XlaFunction;
import io.longshort.graph.attention.ChunkedLongShortAttention;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Shapes;
import io.longshort.graph.model.TransformerLsLayers;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
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
 * {@link ChunkedLongShortAttention.CacheSummary}) is computed once.
 *
 * <p>State lives in resource variables (per layer: the cache, its summary, the block's layer
 * inputs, raw keys, values and dconv_1 scores so far), so a step moves no cache across the host
 * and costs O(W + Mp + S) per layer and head, whatever the length generated. The step can be one
 * function compiled by XLA (must-compile), its state bound as resource arguments.
 *
 * <p>Letters: B batch, M block, Mp padded block, L cache length, D width, H heads, K head width,
 * R rank, S compressed slots, W window, V vocabulary.
 */
public final class TransformerLsDecoder<T extends TFloating> implements AutoCloseable {
  private final TransformerLsSpec spec;
  private final long batch;
  private final int block;
  private final int padded;
  private final Graph graph;
  private final Parameters<T> params;
  private final Placeholder<TInt32> ids;
  private final Placeholder<TInt32> position;
  private final Operand<T> logprobs;
  private final List<Op> reset = new ArrayList<>();
  private final List<Op> roll = new ArrayList<>();
  private Session session;
  private int t;

  /** One variable of the decoding state: name, shape. */
  private record Slot(String name, long[] shape) {}

  private TransformerLsDecoder(TransformerLsSpec spec, Class<T> dtype, long batch, int block, long seed, boolean xla) {
    this.spec = spec;
    this.batch = batch;
    this.block = block;
    this.padded = spec.paddedBlock(block);
    graph = new Graph();
    try {
      params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      ids = tf.withName("ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch)));
      position = tf.withName("position").placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
      TransformerLsLayers<T> layers = new TransformerLsLayers<>(root, spec, Dropout.none());
      Ops init = tf.withSubScope("decode_state");
      Map<String, Operand<?>> handles = new LinkedHashMap<>();
      for (Slot slot : slots()) {
        handles.put(slot.name(), init.withName(slot.name().replace('.', '_')).varHandleOp(dtype, Shape.of(slot.shape()),
            VarHandleOp.sharedName("decode_state." + slot.name())));
      }
      buildReset(tf, layers, handles, dtype);
      buildRoll(tf, layers, handles, dtype);
      if (xla) {
        logprobs = XlaFunction.mustCompile(root, "decode_step", List.of(ids, position), (scope, args) -> {
          Ops btf = scope.tf();
          Map<String, Operand<?>> inner = new LinkedHashMap<>();
          for (Slot slot : slots()) {
            Operand<?> h = btf.withName("state_" + slot.name().replace('.', '_')).varHandleOp(dtype,
                Shape.of(slot.shape()), VarHandleOp.sharedName("decode_state." + slot.name()));
            args.bindResource(h, handles.get(slot.name()));
            inner.put(slot.name(), h);
          }
          TransformerLsLayers<T> bodyLayers = new TransformerLsLayers<>(scope, spec, Dropout.none());
          return List.of(step(scope, bodyLayers, inner, args.get(0, TInt32.class), args.get(1, TInt32.class), dtype));
        }).output(0, dtype);
      } else {
        logprobs = step(root, layers, handles, ids, position, dtype);
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** A decoder for blocks of {@code block} tokens; {@code xla}: its step compiled by XLA (must-compile). */
  public static <T extends TFloating> TransformerLsDecoder<T> build(TransformerLsSpec spec, Class<T> dtype, long batch,
      int block, long seed, boolean xla) {
    return new TransformerLsDecoder<>(spec, dtype, batch, block, seed, xla);
  }

  private List<Slot> slots() {
    int d = spec.width();
    int h = spec.heads();
    int k = spec.headWidth();
    int summary = spec.memLen() / spec.chunkSize() * spec.chunkRank();
    List<Slot> out = new ArrayList<>();
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      out.add(new Slot(p + "cache", new long[] {batch, spec.memLen(), d}));
      out.add(new Slot(p + "cache_keys", new long[] {batch, h, summary, k}));
      out.add(new Slot(p + "cache_values", new long[] {batch, h, summary, k}));
      out.add(new Slot(p + "tail_keys", new long[] {batch, spec.window(), d}));
      out.add(new Slot(p + "tail_values", new long[] {batch, spec.window(), d}));
      out.add(new Slot(p + "block_inputs", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_keys", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_values", new long[] {batch, padded, d}));
      out.add(new Slot(p + "block_scores", new long[] {batch, padded, (long) h * spec.chunkRank()}));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T extends TFloating> Operand<T> read(Ops tf, Map<String, Operand<?>> handles, String name,
      Class<T> dtype) {
    return tf.readVariableOp((Operand<? extends org.tensorflow.types.family.TType>) handles.get(name), dtype);
  }

  private static Op assign(Ops tf, Map<String, Operand<?>> handles, String name, Operand<?> value) {
    return tf.assignVariableOp(handles.get(name), value);
  }

  /** Zero cache and its summary; zero block buffers. */
  private void buildReset(Ops tf, TransformerLsLayers<T> layers, Map<String, Operand<?>> handles, Class<T> dtype) {
    for (Slot slot : slots()) {
      if (slot.name().contains(".block_")) {
        reset.add(assign(tf, handles, slot.name(), zeros(tf, slot.shape(), dtype)));
      }
    }
    for (int i = 0; i < spec.layers(); i++) {
      summarise(tf, layers, handles, i, zeros(tf, new long[] {batch, spec.memLen(), spec.width()}, dtype), reset);
    }
  }

  /** cache := last L of [cache ; block inputs]; its summary. */
  private void buildRoll(Ops tf, TransformerLsLayers<T> layers, Map<String, Operand<?>> handles, Class<T> dtype) {
    int l = spec.memLen();
    int d = spec.width();
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      Operand<T> cache = read(tf, handles, p + "cache", dtype);
      Operand<T> in = read(tf, handles, p + "block_inputs", dtype);
      Operand<T> next = l > padded
          ? Shapes.concat(tf, 1, List.of(Shapes.slice(tf, cache, new long[] {0, padded, 0}, new long[] {-1, l - padded, d}), in))
          : Shapes.slice(tf, in, new long[] {0, padded - l, 0}, new long[] {-1, l, d});
      summarise(tf, layers, handles, i, next, roll);
    }
  }

  private void summarise(Ops tf, TransformerLsLayers<T> layers, Map<String, Operand<?>> handles, int i,
      Operand<T> cache, List<Op> into) {
    String p = "layer" + i + ".";
    TransformerLsLayers.Layer<T> layer = layers.layer(i);
    ChunkedLongShortAttention.CacheSummary<T> s = layer.attention().summarise(layer.normaliseCache(cache));
    into.add(assign(tf, handles, p + "cache", cache));
    into.add(assign(tf, handles, p + "cache_keys", s.keys()));
    into.add(assign(tf, handles, p + "cache_values", s.values()));
    into.add(assign(tf, handles, p + "tail_keys", s.tailKeys()));
    into.add(assign(tf, handles, p + "tail_values", s.tailValues()));
  }

  /** ids (B) at block position t -> log-probs (B, V), writing the position's rows into the block buffers. */
  private Operand<T> step(GraphScope<T> root, TransformerLsLayers<T> layers, Map<String, Operand<?>> handles,
      Operand<TInt32> stepIds, Operand<TInt32> t, Class<T> dtype) {
    Ops tf = root.tf();
    List<Op> writes = new ArrayList<>();
    // (1, Mp, 1): 1 at row t
    Operand<T> at = Shapes.reshape(tf, tf.oneHot(t, tf.constant(padded), tf.constant(dtype, 1.0),
        tf.constant(dtype, 0.0)), 1, padded, 1);
    Operand<T> posWindow = layers.windowPositions();
    Operand<T> posChunks = layers.chunkPositions(padded);
    // (B, 1, D)
    Operand<T> h = layers.embed(Shapes.reshape(tf, stepIds, -1, 1));
    for (int i = 0; i < spec.layers(); i++) {
      String p = "layer" + i + ".";
      TransformerLsLayers.Layer<T> layer = layers.layer(i);
      writes.add(assign(tf, handles, p + "block_inputs", write(tf, read(tf, handles, p + "block_inputs", dtype), at, h)));
      ChunkedLongShortAttention.CacheSummary<T> summary = new ChunkedLongShortAttention.CacheSummary<>(
          read(tf, handles, p + "cache_keys", dtype), read(tf, handles, p + "cache_values", dtype),
          read(tf, handles, p + "tail_keys", dtype), read(tf, handles, p + "tail_values", dtype));
      h = layer.apply(h, x -> {
        ChunkedLongShortAttention.Row<T> row = layer.attention().row(x);
        Operand<T> keys = write(tf, read(tf, handles, p + "block_keys", dtype), at, row.key());
        Operand<T> values = write(tf, read(tf, handles, p + "block_values", dtype), at, row.value());
        Operand<T> scores = write(tf, read(tf, handles, p + "block_scores", dtype), at, row.scores());
        writes.add(assign(tf, handles, p + "block_keys", keys));
        writes.add(assign(tf, handles, p + "block_values", values));
        writes.add(assign(tf, handles, p + "block_scores", scores));
        return layer.attention().applyOne(x, t, summary, keys, values, scores, posWindow, posChunks);
      });
    }
    Operand<T> out = tf.nn.logSoftmax(layers.output(h));
    return tf.withControlDependencies(writes).withName("logprobs").identity(out);
  }

  /** buffer (B, Mp, X) with row t (mask {@code at}) replaced by {@code row} (B, 1, X). */
  private static <T extends TFloating> Operand<T> write(Ops tf, Operand<T> buffer, Operand<T> at, Operand<T> row) {
    return tf.math.add(tf.math.mul(buffer, tf.math.sub(tf.onesLike(at), at)), tf.math.mul(row, at));
  }

  private static <T extends TFloating> Operand<T> zeros(Ops tf, long[] shape, Class<T> dtype) {
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = Math.toIntExact(shape[i]);
    }
    return tf.fill(tf.constant(dims), tf.constant(dtype, 0.0));
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

  public Graph graph() {
    return graph;
  }

  public Parameters<T> parameters() {
    return params;
  }

  /** The session, opened and initialised (parameters, then the zero state) on first use. */
  public synchronized Session session() {
    if (session == null) {
      session = new Session(graph);
      session.initialize();
      Session.Runner r = session.runner();
      reset.forEach(r::addTarget);
      r.run().close();
    }
    return session;
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
