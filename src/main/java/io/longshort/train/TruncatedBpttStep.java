package io.longshort.train;

import io.longshort.data.BpttStreams;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The update of truncated-BPTT training (fairseq's {@code truncated_bptt_lm}) as a step of the one
 * loop ({@link TrainingLoop}): update s runs block s of every lane ({@link BpttStreams}, by global
 * step, so a resumed run reads what an uninterrupted one would) from the cache the previous block
 * left (zero at an epoch's start, or always when zeroed), fed as an input so no gradient flows
 * into earlier blocks. The same run writes the block's next cache into the variable
 * {@link #CACHE}, the step's {@link #state()}, so every checkpoint holds the cache the next block
 * reads. Dropout masks come from (seed, step).
 *
 * <p>Letters: B lanes, M block, NL layers, L cache length, D width, V vocabulary.
 */
public final class TruncatedBpttStep<T extends TFloating> implements TrainStep {
  /** The checkpoint name of the cache. */
  public static final String CACHE = "bptt/cache";

  private final TransformerLsLm<T> lm;
  private final Optimizer<T> optimizer;
  private final BpttStreams data;
  private final long seed;
  private final double dropout;
  private final TrainingVariable cacheVariable;
  /** Writes the run's next cache (B, NL, L, D) into the cache variable, in the update's run. */
  private final Op keepCache;
  private T cache;
  private boolean cacheZeroed;
  private TruncatedBpttTrainer.BlockObserver observer;

  /** Adds the cache variable to {@code lm}'s graph; call before the session opens. */
  public TruncatedBpttStep(TransformerLsLm<T> lm, Optimizer<T> optimizer, BpttStreams data, long seed, Class<T> dtype) {
    this.lm = lm;
    this.optimizer = optimizer;
    this.data = data;
    this.seed = seed;
    this.dropout = lm.spec().dropout();
    Ops cacheTf = Ops.create(lm.graph()).withSubScope("bptt");
    Shape shape = lm.cacheShape();
    VarHandleOp handle = cacheTf.withName("cache").varHandleOp(dtype, shape, VarHandleOp.sharedName(CACHE));
    Placeholder<T> value = cacheTf.withName("cache_value").placeholder(dtype, Placeholder.shape(shape));
    Op assign = cacheTf.withName("cache_assign").assignVariableOp(handle, value);
    cacheVariable = new TrainingVariable(CACHE, shape.asArray(), dtype, cacheTf.withName("cache_read")
        .readVariableOp(handle, dtype), value, assign);
    keepCache = cacheTf.withName("cache_keep").assignVariableOp(handle, lm.outputs().get("next_cache"));
  }

  /** Sets the cache variable to zero (a new run), after the session opened. */
  void zeroCache() {
    setCache(lm.zeroCache());
    lm.session().runner().feed(cacheVariable.setValue(), cache).addTarget(cacheVariable.assign()).run().close();
  }

  /** Reads the cache the next block reads from its variable (after a checkpoint was restored). */
  void reloadCache() {
    try (var r = lm.session().runner().fetch(cacheVariable.value()).run()) {
      setCache(HostTensors.of(dtypeOf(), cacheVariable.shape(), HostTensors.toDoubles(r.get(0))));
    }
  }

  @SuppressWarnings("unchecked")
  private Class<T> dtypeOf() {
    return (Class<T>) cacheVariable.dtype();
  }

  void cacheZeroed(boolean zeroed) {
    this.cacheZeroed = zeroed;
    if (zeroed) {
      setCache(lm.zeroCache());
    }
  }

  void observer(TruncatedBpttTrainer.BlockObserver observer) {
    this.observer = observer;
  }

  /** The cache the next block reads, row-major. */
  double[] cache() {
    return HostTensors.toDoubles(cache);
  }

  private void setCache(T next) {
    if (cache != null) {
      cache.close();
    }
    cache = next;
  }

  @Override
  public Session session() {
    return lm.session();
  }

  @Override
  public Optimizer<?> optimizer() {
    return optimizer;
  }

  @Override
  public List<TrainingVariable> state() {
    return List.of(cacheVariable);
  }

  @Override
  public Outcome run(long step, TrainingData unused) {
    BpttStreams.Batch batch;
    try {
      batch = data.batch(step);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("reading block " + step + " of the lanes", e);
    }
    if (batch.startsEpoch() || cacheZeroed) {
      setCache(lm.zeroCache());
    }
    List<Tensor> fed = new ArrayList<>();
    try {
      Tensor ids = HostTensors.ints(new long[] {lm.batch(), lm.block()}, batch.ids()); // (B, M)
      Tensor targets = HostTensors.ints(new long[] {lm.batch(), lm.block()}, batch.targets()); // (B, M)
      Tensor dropSeed = TInt64.vectorOf(seed, step);
      Tensor rate = TFloat32.scalarOf((float) dropout);
      fed.addAll(List.of(ids, targets, dropSeed, rate));
      var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), ids)
          .feed(lm.inputs().get("targets"), targets).feed(lm.inputs().get("cache"), cache)
          .feed(lm.graph().operation("dropout_seed").output(0), dropSeed)
          .feed(lm.graph().operation("dropout_rate").output(0), rate)
          .fetch(lm.loss()).fetch(optimizer.learningRate()).fetch(optimizer.gradientNorm())
          .fetch(lm.outputs().get("next_cache")); // (B, NL, L, D)
      if (observer != null) {
        runner.fetch(lm.outputs().get("logprobs")); // (B, M, V)
      }
      try (var result = runner.addTarget(optimizer.update()).addTarget(keepCache).run()) {
        if (observer != null) {
          double[] d = HostTensors.toDoubles(result.get(4));
          float[] f = new float[d.length];
          for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
          }
          observer.block(step, batch, f);
        }
        Outcome o = Outcome.of(result);
        // the next cache outlives the result: a copy of its values
        setCache(HostTensors.of(dtypeOf(), cacheVariable.shape(), HostTensors.toDoubles(result.get(3))));
        return o;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  void close() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }
}
