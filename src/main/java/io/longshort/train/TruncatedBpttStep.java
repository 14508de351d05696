package io.longshort.train;

import io.longshort.data.BatchSource;
import io.longshort.data.BpttStreams;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
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
 * <p>With gradient accumulation (the optimizer spec's accumulationSteps k > 1) the graph runs Bg =
 * B / k lanes: an update runs the k groups of consecutive lanes in turn, each from its own rows of
 * the cache and each adding up its gradients, and then applies their mean. That is the update of
 * one batch of B lanes (the loss is a mean over equal groups) in 1/k of the activation memory,
 * which is how one machine reaches the authors' global batch.
 *
 * <p>Letters: B lanes, Bg lanes per group, M block, NL layers, L cache length, D width, V vocabulary.
 */
public final class TruncatedBpttStep<T extends TFloating> implements TrainStep {
  /** The checkpoint name of the cache. */
  public static final String CACHE = "bptt/cache";

  private final TransformerLsLm<T> lm;
  private final Optimizer<T> optimizer;
  private final BpttStreams data;
  private final long seed;
  private final double dropout;
  /** k, the lane groups (micro-batches) of an update. */
  private final int groups;
  /** The whole cache of all B lanes (NL, B, L, D), checkpointed. */
  private final TrainingVariable cacheVariable;
  /** Per group g: writes its run's next cache (NL, Bg, L, D) into group g's rows of the variable, in that run. */
  private final List<Op> keepCache = new ArrayList<>();
  /** Each group's cache (NL, Bg, L, D), fed to its next block. */
  private final List<T> caches = new ArrayList<>();
  private boolean cacheZeroed;
  private TruncatedBpttTrainer.BlockObserver observer;

  /**
   * Adds the cache variable of {@code lanes} lanes to {@code lm}'s graph, which runs lanes / k of them
   * (k = the optimizer's accumulationSteps); call before the session opens.
   */
  public TruncatedBpttStep(TransformerLsLm<T> lm, Optimizer<T> optimizer, BpttStreams data, int lanes, long seed,
      Class<T> dtype) {
    this.lm = lm;
    this.optimizer = optimizer;
    this.data = data;
    this.seed = seed;
    this.dropout = lm.spec().dropout();
    this.groups = optimizer.spec().accumulationSteps();
    if ((long) groups * lm.batch() != lanes) {
      throw new IllegalArgumentException("lanes (" + lanes + ") must be accumulationSteps (" + groups
          + ") x the graph's batch (" + lm.batch() + ")");
    }
    Ops cacheTf = Ops.create(lm.graph()).withSubScope("bptt");
    Shape group = lm.cacheShape();
    Shape shape = Shape.of(group.get(0), lanes, group.get(2), group.get(3));
    VarHandleOp handle = cacheTf.withName("cache").varHandleOp(dtype, shape, VarHandleOp.sharedName(CACHE));
    Placeholder<T> value = cacheTf.withName("cache_value").placeholder(dtype, Placeholder.shape(shape));
    Op assign = cacheTf.withName("cache_assign").assignVariableOp(handle, value);
    cacheVariable = new TrainingVariable(CACHE, shape.asArray(), dtype, cacheTf.withName("cache_read")
        .readVariableOp(handle, dtype), value, assign);
    long bg = group.get(1);
    for (int g = 0; g < groups; g++) {
      keepCache.add(cacheTf.withName("cache_keep_" + g).resourceStridedSliceAssign(handle,
          cacheTf.constant(new long[] {0, g * bg, 0, 0}),
          cacheTf.constant(new long[] {group.get(0), (g + 1) * bg, group.get(2), group.get(3)}),
          cacheTf.constant(new long[] {1, 1, 1, 1}), lm.outputs().get("next_cache")));
    }
  }

  /** Sets the cache variable to zero (a new run), after the session opened. */
  void zeroCache() {
    zeroGroups();
    try (T zeros = HostTensors.of(dtypeOf(), cacheVariable.shape(), new double[Math.toIntExact(cacheElements())])) {
      lm.session().runner().feed(cacheVariable.setValue(), zeros).addTarget(cacheVariable.assign()).run().close();
    }
  }

  /** Reads the cache the next block reads from its variable (after a checkpoint was restored). */
  void reloadCache() {
    try (var r = lm.session().runner().fetch(cacheVariable.value()).run()) {
      double[] whole = HostTensors.toDoubles(r.get(0));
      for (int g = 0; g < groups; g++) {
        double[] rows = new double[Math.toIntExact(lm.cacheShape().size())];
        copyGroupRows(whole, rows, g, false);
        setCache(g, HostTensors.of(dtypeOf(), lm.cacheShape().asArray(), rows));
      }
    }
  }

  private long cacheElements() {
    return Shape.of(cacheVariable.shape()).size();
  }

  /**
   * Copies between the whole cache (NL, B, L, D) and group g's rows (NL, Bg, L, D), both row-major:
   * from the whole into the group's, or back when {@code intoWhole}.
   */
  private void copyGroupRows(double[] whole, double[] groupRows, int g, boolean intoWhole) {
    long[] s = cacheVariable.shape();
    int per = Math.toIntExact(lm.batch() * s[2] * s[3]);
    for (int layer = 0; layer < s[0]; layer++) {
      if (intoWhole) {
        System.arraycopy(groupRows, layer * per, whole, (layer * groups + g) * per, per);
      } else {
        System.arraycopy(whole, (layer * groups + g) * per, groupRows, layer * per, per);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Class<T> dtypeOf() {
    return (Class<T>) cacheVariable.dtype();
  }

  void cacheZeroed(boolean zeroed) {
    this.cacheZeroed = zeroed;
    if (zeroed) {
      zeroGroups();
    }
  }

  private void zeroGroups() {
    for (int g = 0; g < groups; g++) {
      setCache(g, lm.zeroCache());
    }
  }

  void observer(TruncatedBpttTrainer.BlockObserver observer) {
    this.observer = observer;
  }

  /** The cache the next block reads (NL, B, L, D), row-major. */
  double[] cache() {
    double[] whole = new double[Math.toIntExact(cacheElements())];
    for (int g = 0; g < groups; g++) {
      copyGroupRows(whole, HostTensors.toDoubles(caches.get(g)), g, true);
    }
    return whole;
  }

  private void setCache(int g, T next) {
    if (g < caches.size()) {
      caches.set(g, next).close();
    } else {
      caches.add(next);
    }
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
  public Outcome run(long step, BatchSource unused) {
    BpttStreams.Batch batch;
    try {
      batch = data.batch(step);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("reading block " + step + " of the lanes", e);
    }
    if (batch.startsEpoch() || cacheZeroed) {
      zeroGroups();
    }
    int rows = Math.toIntExact(lm.batch() * lm.block());
    float[] logprobs = observer == null ? null : new float[groups * rows * lm.spec().vocabSize()];
    Outcome out;
    if (groups == 1) {
      double[] r = runGroup(0, step, batch.ids(), batch.targets(), optimizer.update(), logprobs,
          optimizer.learningRate(), optimizer.gradientNorm());
      out = new Outcome(r[0], r[1], r[2]);
    } else {
      double loss = 0;
      for (int g = 0; g < groups; g++) {
        // only the loss: the learning rate and gradient norm belong to the update
        loss += runGroup(g, step, java.util.Arrays.copyOfRange(batch.ids(), g * rows, (g + 1) * rows),
            java.util.Arrays.copyOfRange(batch.targets(), g * rows, (g + 1) * rows), optimizer.accumulate(),
            logprobs)[0] / groups;
      }
      out = Outcome.ofAccumulated(lm.session(), optimizer, loss);
    }
    if (observer != null) {
      observer.block(step, batch, logprobs);
    }
    return out;
  }

  /**
   * Group g's block (Bg, M) from its cache, with {@code target} (the update, or accumulate): keeps
   * its next cache for the group's next block (and writes it into the group's rows of the cache
   * variable in the same run), puts its log-probs into {@code logprobs} at the group's rows when
   * observed, and returns the loss, then the scalar {@code fetches}.
   */
  private double[] runGroup(int g, long step, int[] ids, int[] targets, Op target, float[] logprobs,
      Operand<?>... fetches) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Tensor idsT = HostTensors.ints(new long[] {lm.batch(), lm.block()}, ids); // (Bg, M)
      Tensor targetsT = HostTensors.ints(new long[] {lm.batch(), lm.block()}, targets); // (Bg, M)
      Tensor dropSeed = TInt64.vectorOf(seed, step);
      Tensor rate = TFloat32.scalarOf((float) dropout);
      fed.addAll(List.of(idsT, targetsT, dropSeed, rate));
      var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), idsT)
          .feed(lm.inputs().get("targets"), targetsT).feed(lm.inputs().get("cache"), caches.get(g))
          .feed(lm.graph().operation("dropout_seed").output(0), dropSeed)
          .feed(lm.graph().operation("dropout_rate").output(0), rate)
          .fetch(lm.outputs().get("next_cache")) // (NL, Bg, L, D)
          .fetch(lm.loss());
      for (Operand<?> f : fetches) {
        runner.fetch(f);
      }
      if (logprobs != null) {
        runner.fetch(lm.outputs().get("logprobs")); // (Bg, M, V)
      }
      runner.addTarget(target).addTarget(keepCache.get(g));
      try (var result = runner.run()) {
        double[] scalars = new double[1 + fetches.length];
        for (int i = 0; i < scalars.length; i++) {
          scalars[i] = HostTensors.toDoubles(result.get(1 + i))[0];
        }
        if (logprobs != null) {
          double[] d = HostTensors.toDoubles(result.get(1 + scalars.length));
          for (int i = 0; i < d.length; i++) {
            logprobs[g * d.length + i] = (float) d[i];
          }
        }
        // the next cache outlives the result: a copy of its values
        setCache(g, HostTensors.of(dtypeOf(), lm.cacheShape().asArray(), HostTensors.toDoubles(result.get(0))));
        return scalars;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  void close() {
    caches.forEach(Tensor::close);
    caches.clear();
  }
}
