package io.longshort.train;

import io.longshort.data.Batch;
import io.longshort.data.BatchSource;
import io.longshort.data.BpttStreams;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.types.family.TFloating;

/**
 * Trains the authors' LM by truncated BPTT (fairseq's {@code truncated_bptt_lm}): a configuration
 * of the one training loop ({@link TrainingLoop}) with the {@link TruncatedBpttStep}, whose state
 * is the per-lane cache carried block to block. The run folder ({@link RunFolder}) owns the
 * checkpoints (weights, optimizer state, the cache as {@code bptt/cache}; the step is the data
 * position, since batch s is always the same batch), the resume and its checks, the TensorBoard
 * events and the divergence guard, so a killed and resumed run ends with the weights and cache of
 * an uninterrupted one.
 *
 * <p>Letters: B lanes, M block, NL layers, L cache length, D width.
 */
public final class TruncatedBpttTrainer<T extends TFloating> implements AutoCloseable {
  /** The checkpoint name of the cache. */
  public static final String CACHE = TruncatedBpttStep.CACHE;
  /**
   * The family its checkpoints record ({@link Trainer#FAMILY}): what {@code Export.fromRun} rebuilds
   * the authors' serving model from. Runs written before it was recorded are told by their
   * {@link #LANES} and {@link #BLOCK} keys.
   */
  public static final String FAMILY = "transformer_ls";
  /** The metadata key of the lanes (rows) a run trains. */
  public static final String LANES = "lanes";
  /** The metadata key of the block M a run trains. */
  public static final String BLOCK = "block";

  /** The run-folder metadata a resume must match (the optimizer is checked by the caller: its length may grow). */
  private static final List<String> IDENTITY = List.of("model", LANES, BLOCK, "seed");

  private final TransformerLsLm<T> lm;
  private final BpttStreams data;
  private final int lanes;
  private final int block;
  private RunFolder run;
  private TruncatedBpttStep<T> step;
  private TrainingLoop loop;

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

  /**
   * @param runDir the run folder (checkpoints, events, the graph), resumed from its newest intact
   *     checkpoint when it has one; null for a run that writes nothing
   */
  public TruncatedBpttTrainer(TransformerLsSpec spec, OptimizerSpec optimizerSpec, BpttStreams data, int lanes,
      int block, Class<T> dtype, long seed, Path runDir) throws IOException {
    this(spec, optimizerSpec, data, lanes, block, dtype, seed, runDir, null);
  }

  /**
   * @param dataFingerprint the corpus's {@link io.longshort.io.ContentFingerprint}, recorded in the
   *     run's checkpoints and checked on resume ({@link RunFolder#DATA}); null checks nothing
   */
  public TruncatedBpttTrainer(TransformerLsSpec spec, OptimizerSpec optimizerSpec, BpttStreams data, int lanes,
      int block, Class<T> dtype, long seed, Path runDir, String dataFingerprint) throws IOException {
    this(spec, optimizerSpec, data, lanes, block, dtype, seed, runDir, dataFingerprint, false);
  }

  /**
   * @param recompute gradient checkpointing ({@code train-lm --recompute}): each layer's activations
   *     rebuilt in the backward pass ({@link io.longshort.compile.Recompute}); the same gradients, so
   *     the checkpoints are the same and a run may resume with or without it
   */
  public TruncatedBpttTrainer(TransformerLsSpec spec, OptimizerSpec optimizerSpec, BpttStreams data, int lanes,
      int block, Class<T> dtype, long seed, Path runDir, String dataFingerprint, boolean recompute)
      throws IOException {
    int k = optimizerSpec.accumulationSteps();
    if (lanes % k != 0) {
      throw new IllegalArgumentException("lanes (" + lanes + ") must be a multiple of accumulationSteps (" + k
          + "): an update runs " + k + " equal groups of lanes");
    }
    this.data = data;
    this.lanes = lanes;
    this.block = block;
    lm = TransformerLsLm.buildForTraining(spec, dtype, lanes / k, block, seed, null,
        io.longshort.compile.XlaPieces.INSTANCE, recompute ? io.longshort.compile.Recompute.INSTANCE : null);
    try {
      Optimizer<T> optimizer = new Optimizer<>(lm.graph(), optimizerSpec, lm.parameters().list(), lm.gradients());
      step = new TruncatedBpttStep<>(lm, optimizer, data, lanes, seed, dtype);
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("model", spec.toJson());
      metadata.put("optimizer", optimizerSpec.toJson());
      metadata.put("seed", Long.toString(seed));
      metadata.put(LANES, Integer.toString(lanes));
      metadata.put(BLOCK, Integer.toString(block));
      metadata.put(Trainer.FAMILY, FAMILY);
      if (dataFingerprint != null) {
        metadata.put(RunFolder.DATA, dataFingerprint);
      }
      run = runDir == null ? RunFolder.none() : RunFolder.open(runDir, metadata, IDENTITY);
      loop = new TrainingLoop(lm, step, run, true);
      lm.session();
      step.zeroCache();
      if (loop.resume().isPresent()) {
        step.reloadCache();
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Feeds a zero cache to every block instead of the previous block's: the same model and data with
   * no memory beyond the current block (the control of the recall experiment).
   */
  public TruncatedBpttTrainer<T> cacheZeroed(boolean zeroed) {
    step.cacheZeroed(zeroed);
    return this;
  }

  /** Sets the observer of every block's log-probs (null: none, and no log-probs fetched). */
  public TruncatedBpttTrainer<T> observer(BlockObserver observer) {
    step.observer(observer);
    return this;
  }

  /** Runs updates until {@code steps} are done, saving a checkpoint every {@code every} (and at the end). */
  public void train(long steps, long every, int keep, Listener listener) throws IOException {
    TrainConfig config = TrainConfig.builder().setBatchSize(lanes).setLength(block).setSteps(steps)
        .optCheckpointEvery((int) Math.min(Integer.MAX_VALUE, every)).optKeepCheckpoints(keep).build();
    // the step reads block s of every lane itself; the loop sees the streams as batches by index
    BatchSource blocks = new BatchSource() {
      @Override
      public Batch batch(long index) {
        throw new UnsupportedOperationException("truncated-BPTT blocks are read by the step (TruncatedBpttStep)");
      }

      @Override
      public long batchesPerEpoch() {
        return data.blocksPerEpoch();
      }
    };
    loop.train(config, blocks, null, new TrainingListener() {
      @Override
      public void step(long done, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {
        if (listener != null) {
          listener.step(done, loss);
        }
      }
    });
  }

  /** Updates done. */
  public long step() {
    return loop.step();
  }

  public TransformerLsLm<T> model() {
    return lm;
  }

  /** The run folder (checkpoints, events). */
  public RunFolder runFolder() {
    return run;
  }

  /** Every parameter's values, by name. */
  public Map<String, double[]> weights() {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (var p : lm.parameters().list()) {
      try (var r = lm.session().runner().fetch(p.value()).run()) {
        out.put(p.name(), io.longshort.graph.core.HostTensors.toDoubles(r.get(0)));
      }
    }
    return out;
  }

  /** The cache the next block reads, row-major. */
  public double[] cache() {
    return step.cache();
  }

  @Override
  public void close() {
    try {
      if (step != null) {
        step.close();
      }
      if (run != null) {
        run.close();
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("closing the run folder's event file", e);
    } finally {
      lm.close();
    }
  }
}
