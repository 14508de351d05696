package io.longshort.train;

import io.longshort.data.BatchSource;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * A training run of a {@link ModelSpec} token model: the {@link TrainingLoop} configured with the
 * model's training graph, its optimizer and a plain step ({@link PlainStep}, accumulating when
 * the optimizer spec says so) or an XLA-compiled one ({@link CompiledStep}), in a
 * {@link RunFolder}. A run folder that already holds checkpoints resumes from the newest one:
 * same weights, optimizer state, step, data order (batch i is always the same batch) and dropout
 * masks (seeded by (seed, step)), so an interrupted and resumed run ends where an uninterrupted
 * one does.
 */
public final class Trainer<T extends TFloating> implements AutoCloseable {
  /** The run's identity: a checkpoint with other values of these belongs to another run. */
  public static final List<String> IDENTITY = List.of("model", "optimizer", "seed", "batchSize", "length");

  private final ModelGraph<T> graph;
  private final TrainStep step;
  private final RunFolder run;
  private final TrainingLoop loop;
  private final TrainConfig config;

  public Trainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, Class<T> dtype, Path runDir)
      throws IOException {
    this(model, optimizerSpec, config, dtype, dtype, runDir, false);
  }

  /**
   * @param xla run each training step as one function call that XLA must compile
   *     ({@link CompiledStep}): forward, loss, gradients, clipping and the optimizer's update in
   *     one cluster. Only without gradient accumulation: with accumulationSteps > 1 the steps run
   *     plain ({@link #compiled()} says which). Evaluation runs the plain graph either way.
   */
  public Trainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, Class<T> dtype, Path runDir,
      boolean xla) throws IOException {
    this(model, optimizerSpec, config, dtype, dtype, runDir, xla);
  }

  /**
   * A mixed-precision run: the forward and backward passes compute in bfloat16 while the parameters
   * and optimizer slots stay float32 master weights (updated in float32 from float32 gradients);
   * checkpoints hold float32 and restore into float32 runs and graphs, and the other way round.
   */
  public static Trainer<TBfloat16> bfloat16(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config,
      Path runDir) throws IOException {
    return bfloat16(model, optimizerSpec, config, runDir, false);
  }

  /** A mixed-precision run whose steps are XLA-compiled when {@code xla}. */
  public static Trainer<TBfloat16> bfloat16(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config,
      Path runDir, boolean xla) throws IOException {
    return new Trainer<>(model, optimizerSpec, config, TBfloat16.class, TFloat32.class, runDir, xla);
  }

  /**
   * A run computing in {@code dtype} on variables stored in {@code variableDtype}: the same dtype
   * for plain runs, or a wider one (float32 master weights for a bfloat16 {@code dtype}); with
   * {@code xla}, each step compiled.
   */
  public Trainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, Class<T> dtype,
      Class<? extends TFloating> variableDtype, Path runDir, boolean xla) throws IOException {
    if (config.length() < 1) {
      throw new IllegalArgumentException("TrainConfig: length (" + config.length() + ") must be >= 1 for token models");
    }
    if (config.recompute() && xla) {
      throw new IllegalArgumentException("--recompute does not combine with --xla: the compiled step would rebuild"
          + " each block inside its function; train with one of them");
    }
    this.config = config;
    run = RunFolder.open(runDir, metadata(model, optimizerSpec, config, dtype), IDENTITY);
    try {
      graph = ModelGraph.builder(model).setDtype(dtype).optVariableDtype(variableDtype).setBatch(config.batchSize())
          .setLength(config.length()).optSeed(config.seed()).optTraining(true)
          .optRecompute(config.recompute() ? io.longshort.compile.Recompute.INSTANCE : null)
          .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build();
    } catch (RuntimeException e) {
      run.closeAfter(e);
      throw e;
    }
    try {
      Optimizer<?> optimizer = PlainStep.optimizer(graph, optimizerSpec, variableDtype);
      step = xla && optimizerSpec.accumulationSteps() == 1
          ? CompiledStep.build(graph, optimizer, config.seed()) : new PlainStep(graph, optimizer, config.seed());
      loop = new TrainingLoop(graph, step, run, model.task() == Task.LANGUAGE_MODEL);
      graph.session(); // initialise before any restore
      loop.resume();
    } catch (IOException | RuntimeException e) {
      graph.close();
      run.closeAfter(e);
      throw e;
    }
  }

  /**
   * What every checkpoint of a token run records: {@link #IDENTITY}, the compute dtype (informational)
   * and the data's fingerprint when the config has one ({@link RunFolder#DATA}).
   */
  public static Map<String, String> metadata(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config,
      Class<?> dtype) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("model", model.toJson());
    m.put("optimizer", optimizerSpec.toJson());
    m.put("seed", Long.toString(config.seed()));
    m.put("batchSize", Integer.toString(config.batchSize()));
    m.put("length", Integer.toString(config.length()));
    // informational: a checkpoint restores into a run of any precision (variables are the same)
    m.put("compute_dtype", dtypeName(dtype));
    if (config.dataFingerprint() != null) {
      m.put(RunFolder.DATA, config.dataFingerprint()); // checked on resume by RunFolder, apart from IDENTITY
    }
    return m;
  }

  private static String dtypeName(Class<?> type) {
    return type == TBfloat16.class ? "bfloat16" : type == TFloat32.class ? "float32"
        : type == org.tensorflow.types.TFloat64.class ? "float64" : type.getSimpleName();
  }

  public ModelGraph<T> graph() {
    return graph;
  }

  public RunFolder runFolder() {
    return run;
  }

  /** Every variable of the training state: parameters, then the optimizer's (checkpoint order). */
  List<TrainingVariable> variables() {
    return loop.variables();
  }

  /** Whether training steps run as one XLA-compiled call. */
  public boolean compiled() {
    return step instanceof CompiledStep;
  }

  public Path checkpointDir() {
    return run.checkpointDir();
  }

  /**
   * Restores {@code checkpoint} of this run ({@link RunFolder#resolveCheckpoint}: e.g. the best
   * one) in place of the newest, which the constructor restored.
   */
  public void restore(Path checkpoint) throws IOException {
    loop.restore(checkpoint);
  }

  /** The number of updates made so far (after a resume, where the checkpoint left off). */
  public long step() {
    return loop.step();
  }

  public TrainingResult train(BatchSource train, BatchSource valid, TrainingListener listener)
      throws IOException {
    return loop.train(config, train, valid, listener);
  }

  /** Loss, accuracy and bits per character over {@code batches} batches (0 = one epoch), no dropout. */
  public TrainingLoop.Metrics evaluate(BatchSource data, int batches) {
    return loop.evaluate(data, batches);
  }

  @Override
  public void close() throws IOException {
    try {
      run.close();
    } finally {
      graph.close();
    }
  }
}
