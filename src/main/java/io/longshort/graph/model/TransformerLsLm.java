package io.longshort.graph.model;

import io.longshort.graph.core.CompiledCalls;
import io.longshort.graph.decode.TransformerLsLayers;
import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Precision;
import io.longshort.graph.core.Recomputation;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' autoregressive Transformer-LS ({@link TransformerLsSpec}) for blocks of a fixed
 * length, in its own graph with named inputs and outputs and an initialised session.
 *
 * <p>Inputs: {@code input_ids} (B, M) int32, {@code cache} (NL, B, L, D) (zeros for the first block);
 * training graphs also {@code targets} (B, M) int32, {@code dropout_seed} (2) int64 and
 * {@code dropout_rate} float32 (both default to no dropout). Outputs: {@code logprobs} (B, M, V),
 * {@code next_cache} (NL, B, L, D), the cache the next block reads (no gradient flows through it);
 * training graphs also {@code loss} (mean cross-entropy in nats), {@code losses} (B*M) and {@code hits}.
 *
 * <p>Letters: B batch, M block, NL layers, L cache length (mem_len), D width, V vocabulary.
 */
public final class TransformerLsLm<T extends TFloating> extends GraphModel<T>
    implements TrainableModel<T>, DecodingModel<T> {
  private final TransformerLsSpec spec;
  private final long batch;
  private final int block;
  private final boolean training;
  private final Parameters<T> params;
  private final Map<String, Placeholder<?>> inputs = new LinkedHashMap<>();
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  /** d loss / d parameter, in {@link Parameters#list()} order (training graphs). */
  private final List<Operand<T>> gradients = new ArrayList<>();
  private Operand<TInt64> dropoutSeed;
  private Operand<TFloat32> dropoutRate;

  private TransformerLsLm(TransformerLsSpec spec, Class<T> dtype, long batch, int block, long seed,
      boolean training, CompiledCalls compiled, CompiledPieces pieces, Recomputation recompute) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch (" + batch + ") must be >= 1: the graph has static shapes");
    }
    spec.paddedBlock(block); // refuses the blocks the authors' forward cannot take
    if (recompute != null && compiled != null) {
      throw new IllegalArgumentException("TransformerLsLm: recompute does not combine with a compiled block step"
          + " (XLA): the layers would be rebuilt inside the step's function; build the plain training graph");
    }
    this.spec = spec;
    this.batch = batch;
    this.block = block;
    this.training = training;
    try {
      params = new Parameters<>(graph, dtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      Placeholder<TInt32> ids = tf.withName("input_ids").placeholder(TInt32.class,
          Placeholder.shape(Shape.of(batch, block)));
      Placeholder<T> cache = tf.withName("cache").placeholder(dtype, Placeholder.shape(cacheShape()));
      inputs.put("input_ids", ids);
      inputs.put("cache", cache);
      List<Operand<?>> args = new ArrayList<>(List.of(ids, cache));
      if (training) {
        Placeholder<TInt32> targets = tf.withName("targets").placeholder(TInt32.class,
            Placeholder.shape(Shape.of(batch, block)));
        inputs.put("targets", targets);
        args.add(targets);
        dropoutSeed = tf.withName("dropout_seed").placeholderWithDefault(tf.constant(new long[] {0, 0}), Shape.of(2));
        dropoutRate = tf.withName("dropout_rate").placeholderWithDefault(tf.constant(0f), Shape.scalar());
        args.add(dropoutSeed);
        args.add(dropoutRate);
      }
      List<Operand<?>> results;
      List<String> bodyParams = new ArrayList<>();
      if (compiled != null) {
        results = new ArrayList<>(compiled.call(root, training ? "block_step" : "block", args, (scope, a) -> {
          List<Operand<?>> r = forward(scope, a.get(0, TInt32.class), a.get(1, dtype),
              training ? a.get(2, TInt32.class) : null, training ? a.get(3, TInt64.class) : null,
              training ? a.get(4, TFloat32.class) : null, pieces, null);
          if (training) {
            // forward and backward in one compiled function: the gradients are outputs too
            List<Parameter<T>> inner = scope.parameters().list();
            inner.forEach(p -> bodyParams.add(p.name()));
            r.addAll(Gradients.of(scope.parameters().graph(), r.get(2), inner, dtype));
          }
          return r;
        }));
      } else {
        results = forward(root, ids, cache, training ? (Operand<TInt32>) args.get(2) : null,
            dropoutSeed, dropoutRate, pieces, recompute);
        if (training) {
          params.list().forEach(p -> bodyParams.add(p.name()));
          results.addAll(Gradients.of(graph, results.get(2), params.list(), dtype));
        }
      }
      outputs.put("logprobs", tf.withName("logprobs").identity(results.get(0)));
      outputs.put("next_cache", tf.withName("next_cache").identity(results.get(1)));
      if (training) {
        outputs.put("loss", tf.withName("loss").identity(results.get(2)));
        outputs.put("losses", tf.withName("losses").identity(results.get(3)));
        outputs.put("hits", tf.withName("hits").identity(results.get(4)));
        Map<String, Operand<T>> byName = new LinkedHashMap<>();
        for (int i = 0; i < bodyParams.size(); i++) {
          byName.put(bodyParams.get(i), results.get(5 + i).asOutput().expect(dtype));
        }
        for (Parameter<T> p : params.list()) {
          gradients.add(java.util.Objects.requireNonNull(byName.get(p.name()), "no gradient for " + p.name()));
        }
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** logprobs, next cache and, with targets, loss, losses and hits (see {@link ModelGraph#lossOps}). */
  private List<Operand<?>> forward(GraphScope<T> scope, Operand<TInt32> ids, Operand<T> cache, Operand<TInt32> targets,
      Operand<TInt64> seed, Operand<TFloat32> rate, CompiledPieces pieces, Recomputation recompute) {
    // training: dropout, LayerNorm and GELU as compiled pieces when the caller gives them
    GraphScope<T> root = seed == null || pieces == null ? scope : scope.withCompiledPieces(pieces);
    Dropout dropout = seed == null ? Dropout.none() : Dropout.forRate(spec.dropout(), seed, rate);
    TransformerLsLayers.BlockOutputs<T> out = new TransformerLsLayers<>(root, spec, dropout, recompute)
        .block(ids, cache);
    List<Operand<?>> results = new ArrayList<>(List.of(out.logprobs(), out.nextCache()));
    if (targets != null) {
      Map<String, Operand<?>> loss = new LinkedHashMap<>();
      ModelGraph.lossOps(root.tf(), Precision.widen(root.tf(), out.logits()), targets, loss);
      results.add(loss.get("loss"));
      results.add(loss.get("losses"));
      results.add(loss.get("hits"));
    }
    return results;
  }

  /** An inference graph for blocks of {@code block} tokens and {@code batch} rows. */
  public static <T extends TFloating> TransformerLsLm<T> build(TransformerLsSpec spec, Class<T> dtype, long batch,
      int block, long seed) {
    return new TransformerLsLm<>(spec, dtype, batch, block, seed, false, null, null, null);
  }

  /** The same, its block step one function built by {@code compiled} (e.g. XLA must-compile). */
  public static <T extends TFloating> TransformerLsLm<T> buildCompiled(TransformerLsSpec spec, Class<T> dtype,
      long batch, int block, long seed, CompiledCalls compiled) {
    return new TransformerLsLm<>(spec, dtype, batch, block, seed, false, java.util.Objects.requireNonNull(compiled,
        "compiled"), null, null);
  }

  /**
   * A training graph: targets, dropout seed and rate in; loss, losses and hits out.
   *
   * @param compiled the block step (forward and backward) as one compiled function, or null for
   *     plain ops
   * @param pieces how dropout, LayerNorm and GELU are built (compiled pieces), or null for plain ops
   */
  public static <T extends TFloating> TransformerLsLm<T> buildForTraining(TransformerLsSpec spec, Class<T> dtype,
      long batch, int block, long seed, CompiledCalls compiled, CompiledPieces pieces) {
    return buildForTraining(spec, dtype, batch, block, seed, compiled, pieces, null);
  }

  /**
   * The same, with gradient checkpointing (the authors' {@code grad_chk}): the step keeps only each
   * layer's input, and the backward pass rebuilds the layer's activations from it.
   *
   * @param recompute how ({@code io.longshort.compile.Recompute.INSTANCE}), or null for off; not with
   *     {@code compiled} (the XLA block step would rebuild the layers inside its own function)
   */
  public static <T extends TFloating> TransformerLsLm<T> buildForTraining(TransformerLsSpec spec, Class<T> dtype,
      long batch, int block, long seed, CompiledCalls compiled, CompiledPieces pieces, Recomputation recompute) {
    return new TransformerLsLm<>(spec, dtype, batch, block, seed, true, compiled, pieces, recompute);
  }

  /** (NL, B, L, D). */
  @Override
  public Shape cacheShape() {
    return Shape.of(spec.layers(), batch, spec.memLen(), spec.width());
  }

  /** The cache of a first block: zeros, as the authors' {@code init_hid_cache}. The caller closes it. */
  @Override
  public T zeroCache() {
    return HostTensors.of(params.dtype(), cacheShape().asArray(), new double[Math.toIntExact(cacheShape().size())]);
  }

  /** Runs one block: ids (B, M) row-major, from {@code cache} (not closed here). */
  @Override
  @SuppressWarnings("unchecked")
  public Step<T> run(int[] ids, T cache) {
    try (TInt32 idTensor = HostTensors.ints(new long[] {batch, block}, ids)) {
      // the Result is not closed as a whole: its next cache (800 MB at 32K positions for the base
      // model) goes to the caller as it is, the log-probs tensor is closed here
      var result = session().runner().feed(inputs.get("input_ids"), idTensor).feed(inputs.get("cache"), cache)
          .fetch(outputs.get("logprobs")).fetch(outputs.get("next_cache")).run();
      double[] logprobs;
      try (Tensor lp = result.get(0)) {
        logprobs = HostTensors.toDoubles(lp);
      } catch (RuntimeException e) {
        result.close();
        throw e;
      }
      return new Step<>(logprobs, (T) result.get(1));
    }
  }

  public TransformerLsSpec spec() {
    return spec;
  }

  @Override
  public long batch() {
    return batch;
  }

  /** M, tokens per block. */
  @Override
  public int block() {
    return block;
  }

  @Override
  public boolean training() {
    return training;
  }

  @Override
  public Parameters<T> parameters() {
    return params;
  }

  /** input_ids, cache and, for training, targets. */
  @Override
  public Map<String, Placeholder<?>> inputs() {
    return inputs;
  }

  /** logprobs, next_cache and, for training, loss, losses, hits. */
  @Override
  public Map<String, Operand<?>> outputs() {
    return outputs;
  }

  /**
   * The gradients of the loss (training graphs), one per parameter in {@link Parameters#list()}
   * order; computed inside the compiled function when the graph is built with XLA.
   */
  public List<Operand<T>> gradients() {
    return gradients;
  }

  /** targets (B, M) of a training graph, null for inference graphs. */
  @Override
  @SuppressWarnings("unchecked")
  public Operand<TInt32> labels() {
    return (Operand<TInt32>) inputs.get("targets");
  }

  /** The (2) int64 dropout seed of a training graph (no dropout when not fed). */
  @Override
  public Operand<TInt64> dropoutSeed() {
    return dropoutSeed;
  }

  /** The float32 dropout rate of a training graph: 0 unless fed. */
  @Override
  public Operand<TFloat32> dropoutRate() {
    return dropoutRate;
  }

  /** The spec's dropout, fed by the training step. */
  @Override
  public double trainingDropout() {
    return spec.dropout();
  }
}
