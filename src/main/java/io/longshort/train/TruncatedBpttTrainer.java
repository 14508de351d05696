package io.longshort.train;

import io.longshort.data.BpttStreams;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Trains the authors' LM by truncated BPTT (fairseq's {@code truncated_bptt_lm}): update s runs
 * block s of every lane ({@link BpttStreams}) from the cache the previous block left (zero at an
 * epoch's start), the cache fed in as an input, so no gradient flows into earlier blocks. Dropout
 * masks come from (seed, step). Checkpoints ({@link Checkpoints}) hold the weights, the optimizer
 * state, the cache (as {@code bptt/cache}) and the data position (the step: batch s is always the
 * same batch), so a killed and resumed run ends with the weights of an uninterrupted one.
 *
 * <p>Letters: B lanes, M block, NL layers, L cache length, D width.
 */
public final class TruncatedBpttTrainer<T extends TFloating> implements AutoCloseable {
  /** The checkpoint name of the cache. */
  public static final String CACHE = "bptt/cache";

  private final TransformerLsLm<T> lm;
  private final Optimizer<T> optimizer;
  private final BpttStreams data;
  private final Path checkpoints;
  private final long seed;
  private final double dropout;
  private final List<TrainingVariable> variables = new ArrayList<>();
  private final TrainingVariable cacheVariable;
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private T cache;
  private long step;
  private boolean cacheZeroed;
  private BlockObserver observer;

  /** Called after every update: the step done and its loss. */
  @FunctionalInterface
  public interface Listener {
    void step(long step, double loss);
  }

  /**
   * Sees every block's batch and its log-probs (B, M, V) row-major, as the forward of update
   * {@code step} computed them before the update: each block is seen before it is trained on.
   */
  @FunctionalInterface
  public interface BlockObserver {
    void block(long step, BpttStreams.Batch batch, float[] logprobs);
  }

  public TruncatedBpttTrainer(TransformerLsSpec spec, OptimizerSpec optimizerSpec, BpttStreams data, int lanes,
      int block, Class<T> dtype, long seed, Path checkpoints) throws IOException {
    if (optimizerSpec.accumulationSteps() != 1) {
      throw new IllegalArgumentException("accumulationSteps (" + optimizerSpec.accumulationSteps() + ") must be 1:"
          + " truncated-BPTT lanes keep one cache per row, so a batch is one update");
    }
    this.data = data;
    this.checkpoints = checkpoints;
    this.seed = seed;
    this.dropout = spec.dropout();
    lm = TransformerLsLm.buildForTraining(spec, dtype, lanes, block, seed, false);
    try {
      optimizer = new Optimizer<>(lm.graph(), optimizerSpec, lm.parameters().list(), lm.gradients());
      lm.parameters().list().forEach(p -> variables.add(TrainingVariable.of(lm.parameters(), p)));
      Ops setTf = Ops.create(lm.graph()).withSubScope("set_optimizer");
      optimizer.state().forEach(v -> variables.add(TrainingVariable.of(setTf, v)));
      // the cache as a checkpointed variable: set from the host before a save, read after a restore
      Ops cacheTf = Ops.create(lm.graph()).withSubScope("bptt");
      Shape shape = lm.cacheShape();
      VarHandleOp handle = cacheTf.withName("cache").varHandleOp(dtype, shape, VarHandleOp.sharedName(CACHE));
      Placeholder<T> value = cacheTf.withName("cache_value").placeholder(dtype, Placeholder.shape(shape));
      Op assign = cacheTf.withName("cache_assign").assignVariableOp(handle, value);
      cacheVariable = new TrainingVariable(CACHE, shape.asArray(), dtype, cacheTf.withName("cache_read")
          .readVariableOp(handle, dtype), value, assign);
      variables.add(cacheVariable);
      metadata.put("model", spec.toJson());
      metadata.put("optimizer", optimizerSpec.toJson());
      metadata.put("seed", Long.toString(seed));
      metadata.put("lanes", Integer.toString(lanes));
      metadata.put("block", Integer.toString(block));
      lm.session();
      cache = lm.zeroCache();
      setCacheVariable();
      if (checkpoints != null && java.nio.file.Files.isDirectory(checkpoints)) {
        Checkpoints.removeLeftovers(checkpoints); // what a run killed mid-save left (never a visible checkpoint)
      }
      Optional<Path> latest = checkpoints == null ? Optional.empty() : Checkpoints.latest(checkpoints);
      if (latest.isPresent()) {
        Checkpoints.restore(latest.get(), lm.session(), variables);
        step = Checkpoints.step(latest.get());
        cache.close();
        try (var r = lm.session().runner().fetch(cacheVariable.value()).run()) {
          cache = HostTensors.of(dtype, shape.asArray(), HostTensors.toDoubles(r.get(0)));
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Feeds a zero cache to every block instead of the previous block's: the same model and data with
   * no memory beyond the current block (the control of the recall experiment). Checkpoints then hold
   * a zero cache.
   */
  public TruncatedBpttTrainer<T> cacheZeroed(boolean zeroed) {
    this.cacheZeroed = zeroed;
    if (zeroed) {
      cache.close();
      cache = lm.zeroCache();
    }
    return this;
  }

  /** Sets the observer of every block's log-probs (null: none, and no log-probs fetched). */
  public TruncatedBpttTrainer<T> observer(BlockObserver observer) {
    this.observer = observer;
    return this;
  }

  /** Runs updates until {@code steps} are done, saving a checkpoint every {@code every} (and at the end). */
  public void train(long steps, long every, int keep, Listener listener) throws IOException {
    while (step < steps) {
      BpttStreams.Batch batch = data.batch(step);
      if (batch.startsEpoch() || cacheZeroed) {
        cache.close();
        cache = lm.zeroCache();
      }
      List<Tensor> fed = new ArrayList<>();
      try {
        Tensor ids = HostTensors.ints(new long[] {lm.batch(), lm.block()}, batch.ids());
        Tensor targets = HostTensors.ints(new long[] {lm.batch(), lm.block()}, batch.targets());
        Tensor dropSeed = TInt64.vectorOf(seed, step);
        Tensor rate = TFloat32.scalarOf((float) dropout);
        fed.addAll(List.of(ids, targets, dropSeed, rate));
        var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), ids)
            .feed(lm.inputs().get("targets"), targets).feed(lm.inputs().get("cache"), cache)
            .feed(lm.graph().operation("dropout_seed").output(0), dropSeed)
            .feed(lm.graph().operation("dropout_rate").output(0), rate)
            .fetch(lm.loss()).fetch(lm.outputs().get("next_cache"));
        if (observer != null) {
          runner.fetch(lm.outputs().get("logprobs"));
        }
        var result = runner.addTarget(optimizer.update()).run();
        double loss;
        try (Tensor l = result.get(0)) {
          loss = HostTensors.toDoubles(l)[0];
        }
        if (observer != null) {
          try (Tensor lp = result.get(2)) {
            double[] d = HostTensors.toDoubles(lp);
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
              f[i] = (float) d[i];
            }
            observer.block(step, batch, f);
          }
        }
        cache.close();
        @SuppressWarnings("unchecked")
        T next = (T) result.get(1);
        cache = next;
        step++;
        if (listener != null) {
          listener.step(step, loss);
        }
      } finally {
        fed.forEach(Tensor::close);
      }
      if (checkpoints != null && (step % every == 0 || step == steps)) {
        setCacheVariable();
        metadata.put("data_position", "block " + (step % data.blocksPerEpoch()) + " of every lane, epoch "
            + (step / data.blocksPerEpoch()));
        Checkpoints.save(checkpoints, step, lm.session(), variables, metadata, keep);
      }
    }
  }

  private void setCacheVariable() {
    lm.session().runner().feed(cacheVariable.setValue(), cache).addTarget(cacheVariable.assign()).run().close();
  }

  /** Updates done. */
  public long step() {
    return step;
  }

  public TransformerLsLm<T> model() {
    return lm;
  }

  /** Every parameter's values, by name. */
  public Map<String, double[]> weights() {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (var p : lm.parameters().list()) {
      try (var r = lm.session().runner().fetch(p.value()).run()) {
        out.put(p.name(), HostTensors.toDoubles(r.get(0)));
      }
    }
    return out;
  }

  /** The cache the next block reads, row-major. */
  public double[] cache() {
    return HostTensors.toDoubles(cache);
  }

  @Override
  public void close() {
    if (cache != null) {
      cache.close();
    }
    lm.close();
  }
}
