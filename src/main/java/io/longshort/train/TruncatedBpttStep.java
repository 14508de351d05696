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
  /** Without accumulation: writes the run's next cache (NL, B, L, D) into the variable, in the update's run. */
  private final Op keepCache;
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
    keepCache = groups == 1 ? cacheTf.withName("cache_keep").assignVariableOp(handle, lm.outputs().get("next_cache"))
        : null;
  }

  /** Sets the cache variable to zero (a new run), after the session opened. */
  void zeroCache() {
    zeroGroups();
    storeCache(new double[Math.toIntExact(cacheElements())]);
  }

  /** Reads the cache the next block reads from its variable (after a checkpoint was restored). */
  void reloadCache() {
    try (var r = lm.session().runner().fetch(cacheVariable.value()).run()) {
      double[] whole = HostTensors.toDoubles(r.get(0));
      for (int g = 0; g < groups; g++) {
        setCache(g, HostTensors.of(dtypeOf(), lm.cacheShape().asArray(), groupRows(whole, g)));
      }
    }
  }

  private long cacheElements() {
    long n = 1;
    for (long d : cacheVariable.shape()) {
      n *= d;
    }
    return n;
  }

  /** Writes the whole cache (NL, B, L, D) into its variable. */
  private void storeCache(double[] whole) {
    try (T t = HostTensors.of(dtypeOf(), cacheVariable.shape(), whole)) {
      lm.session().runner().feed(cacheVariable.setValue(), t).addTarget(cacheVariable.assign()).run().close();
    }
  }

  /** Group g's rows (NL, Bg, L, D) of the whole cache (NL, B, L, D), both row-major. */
  private double[] groupRows(double[] whole, int g) {
    long[] s = cacheVariable.shape();
    int per = Math.toIntExact(lm.batch() * s[2] * s[3]);
    double[] out = new double[Math.toIntExact(s[0] * per)];
    for (int layer = 0; layer < s[0]; layer++) {
      System.arraycopy(whole, (layer * groups + g) * per, out, layer * per, per);
    }
    return out;
  }

  /** The whole cache (NL, B, L, D) from the groups' (NL, Bg, L, D), row-major. */
  private double[] wholeCache(List<double[]> byGroup) {
    long[] s = cacheVariable.shape();
    int per = Math.toIntExact(lm.batch() * s[2] * s[3]);
    double[] out = new double[Math.toIntExact(cacheElements())];
    for (int g = 0; g < groups; g++) {
      for (int layer = 0; layer < s[0]; layer++) {
        System.arraycopy(byGroup.get(g), layer * per, out, (layer * groups + g) * per, per);
      }
    }
    return out;
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
    return wholeCache(caches.stream().map(HostTensors::toDoubles).toList());
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
  public Outcome run(long step, TrainingData unused) {
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
    List<double[]> next = new ArrayList<>();
    double loss = 0;
    Outcome last = null;
    for (int g = 0; g < groups; g++) {
      int[] ids = java.util.Arrays.copyOfRange(batch.ids(), g * rows, (g + 1) * rows);
      int[] targets = java.util.Arrays.copyOfRange(batch.targets(), g * rows, (g + 1) * rows);
      last = runGroup(g, step, ids, targets, groups == 1 ? optimizer.update() : optimizer.accumulate(), next,
          logprobs);
      loss += last.loss() / groups;
    }
    if (groups > 1) {
      storeCache(wholeCache(next));
      last = Outcome.ofAccumulated(lm.session(), optimizer, loss);
    }
    if (observer != null) {
      observer.block(step, batch, logprobs);
    }
    return last;
  }

  /**
   * Group g's block (Bg, M) from its cache, with {@code target} (the update, or accumulate); adds
   * its next cache to {@code next} (and keeps it for the group's next block), its log-probs into
   * {@code logprobs} at the group's rows when observed.
   */
  private Outcome runGroup(int g, long step, int[] ids, int[] targets, Op target, List<double[]> next,
      float[] logprobs) {
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
          .fetch(lm.loss()).fetch(optimizer.learningRate()).fetch(optimizer.gradientNorm())
          .fetch(lm.outputs().get("next_cache")); // (NL, Bg, L, D)
      if (logprobs != null) {
        runner.fetch(lm.outputs().get("logprobs")); // (Bg, M, V)
      }
      runner.addTarget(target);
      if (keepCache != null) {
        runner.addTarget(keepCache);
      }
      try (var result = runner.run()) {
        if (logprobs != null) {
          double[] d = HostTensors.toDoubles(result.get(4));
          for (int i = 0; i < d.length; i++) {
            logprobs[g * d.length + i] = (float) d[i];
          }
        }
        // the next cache outlives the result: a copy of its values
        double[] nextCache = HostTensors.toDoubles(result.get(3));
        next.add(nextCache);
        setCache(g, HostTensors.of(dtypeOf(), lm.cacheShape().asArray(), nextCache));
        return Outcome.of(result);
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
