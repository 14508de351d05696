package io.longshort.train;

import io.longshort.data.BatchSource;
import io.longshort.data.Dataset;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.TrainableModel;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * Trains a model: the one training loop ({@link TrainingLoop}) configured with the model's
 * training graph, its optimizer and a plain step ({@link PlainStep}, accumulating when the
 * optimizer says so) or an XLA-compiled one ({@link CompiledStep}), in a {@link RunFolder}.
 *
 * <pre>
 * try (Trainer&lt;?&gt; trainer = Trainer.builder(Model.of(spec))
 *     .setOptimizer(AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(30))
 *     .setBatchSize(16).setSteps(300).optRunDir(Path.of("runs/mine")).optEvalEvery(50).build()) {
 *   TrainingResult result = trainer.fit(train, valid);
 * }
 * </pre>
 *
 * <p>A run folder that already holds checkpoints resumes from the newest one: same weights,
 * optimizer state, step, data order (batch i is always the same batch) and dropout masks (seeded
 * by (seed, step)), so an interrupted and resumed run ends where an uninterrupted one does. The
 * run's metadata (what a resume must match) is derived from the model's definition, the optimizer,
 * the seed, the batch size and the length. Checkpoints carry checksums, the best one is kept in
 * {@code best/}, TensorBoard events are written, and a progress bar is shown unless turned off.
 */
public final class Trainer<T extends TFloating> implements AutoCloseable {
  /** The run's identity: a checkpoint with other values of these belongs to another run. */
  public static final List<String> IDENTITY = List.of("model", "optimizer", "seed", "batchSize", "length");

  /** The metadata key of the model's family ({@link Model#family}), for rebuilding it from a run. */
  public static final String FAMILY = "family";

  private TrainableModel<T> model;
  /** The token model's graph when the model is one (a {@link ModelSpec}), else null. */
  private ModelGraph<T> graph;
  /** The definition the builder was given; null for the {@link ModelSpec} constructors. */
  private final Model<?> definition;
  private TrainStep step;
  private RunFolder run;
  private TrainingLoop loop;
  private final TrainConfig config;
  private final boolean languageModel;
  private final List<TrainingListener> listeners;
  private final Progress progress;

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
  @SuppressWarnings("unchecked")
  public Trainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, Class<T> dtype,
      Class<? extends TFloating> variableDtype, Path runDir, boolean xla) throws IOException {
    if (config.length() < 1) {
      throw new IllegalArgumentException("TrainConfig: length (" + config.length() + ") must be >= 1 for token models");
    }
    checkRecompute(config, xla);
    this.definition = null;
    this.config = config;
    this.languageModel = model.task() == Task.LANGUAGE_MODEL;
    this.listeners = List.of();
    this.progress = null;
    run = RunFolder.open(runDir, metadata(model, optimizerSpec, config, dtype), IDENTITY);
    try {
      graph = (ModelGraph<T>) new SpecModel(model).buildTraining(build(dtype, variableDtype, config));
    } catch (RuntimeException e) {
      run.closeAfter(e);
      throw e;
    }
    this.model = graph;
    start(optimizerSpec, variableDtype, xla);
  }

  private Trainer(Builder b, Class<T> dtype, Class<? extends TFloating> variableDtype, OptimizerSpec optimizerSpec,
      TrainConfig config) throws IOException {
    checkRecompute(config, b.xla);
    this.definition = b.model;
    this.config = config;
    this.languageModel = b.model.languageModel();
    this.listeners = List.copyOf(b.listeners);
    this.progress = b.progress ? new Progress(new PrintWriter(System.out, true), languageModel) : null;
    model = buildTraining(b.model, build(dtype, variableDtype, config));
    try {
      Map<String, String> metadata = new LinkedHashMap<>();
      metadata.put("model", b.model.describe(model));
      metadata.put("optimizer", optimizerSpec.toJson());
      metadata.put("seed", Long.toString(config.seed()));
      metadata.put("batchSize", Integer.toString(config.batchSize()));
      metadata.put("length", Integer.toString(config.length()));
      metadata.put("compute_dtype", dtypeName(dtype)); // informational, as the spec constructors write it
      metadata.put(FAMILY, b.model.family());
      run = b.runDir == null ? RunFolder.none() : RunFolder.open(b.runDir, metadata, IDENTITY);
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
    start(optimizerSpec, variableDtype, b.xla);
  }

  @SuppressWarnings("unchecked")
  private static <T extends TFloating> TrainableModel<T> buildTraining(Model<?> definition, Model.Build build) {
    return (TrainableModel<T>) definition.buildTraining(build);
  }

  private static Model.Build build(Class<? extends TFloating> dtype, Class<? extends TFloating> variableDtype,
      TrainConfig config) {
    return new Model.Build(dtype, variableDtype, config.batchSize(), config.length(), config.seed(),
        io.longshort.compile.XlaPieces.INSTANCE, io.longshort.compile.Recompute.of(config.recomputeSegments()));
  }

  private static void checkRecompute(TrainConfig config, boolean xla) {
    if (config.recompute() && xla) {
      throw new IllegalArgumentException("--recompute does not combine with --xla: the compiled step would rebuild"
          + " each block inside its function; train with one of them");
    }
  }

  /** The step, the loop and the resume from the run folder's newest checkpoint. */
  private void start(OptimizerSpec optimizerSpec, Class<? extends TFloating> variableDtype, boolean xla)
      throws IOException {
    try {
      Optimizer<?> optimizer = PlainStep.optimizer(model, optimizerSpec, variableDtype);
      step = xla && optimizerSpec.accumulationSteps() == 1
          ? CompiledStep.build(model, optimizer, config.seed()) : new PlainStep(model, optimizer, config.seed());
      loop = new TrainingLoop(model, step, run, languageModel);
      model.session(); // initialise before any restore
      loop.resume();
    } catch (IOException | RuntimeException e) {
      model.close();
      run.closeAfter(e);
      throw e;
    }
  }

  /** A trainer of {@code model}, configured by name ({@link Builder}). */
  public static Builder builder(Model<?> model) {
    return new Builder(model);
  }

  /**
   * Required: the optimizer, the steps and the batch size. Everything else has a default: the
   * model's own length, seed 0, evaluation and checkpoints at the end only, 3 checkpoints kept,
   * no early stopping, the task's best metric, no run folder (nothing written or resumed), plain
   * float32 steps, the progress bar on. {@link #build()} checks every value and names it.
   */
  public static final class Builder {
    private final Model<?> model;
    private OptimizerBuilder optimizerBuilder;
    private OptimizerSpec optimizerSpec;
    private final TrainConfig.Builder config = TrainConfig.builder();
    private Integer length;
    private Path runDir;
    private boolean xla;
    private boolean bf16;
    private boolean progress = true;
    private final List<TrainingListener> listeners = new ArrayList<>();

    private Builder(Model<?> model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    /** The optimizer by name, e.g. {@code AdamW.builder().setLearningRate(3e-3).optWarmup(30)}; its schedule spans the steps unless it says otherwise. */
    public Builder setOptimizer(OptimizerBuilder optimizer) {
      this.optimizerBuilder = Objects.requireNonNull(optimizer, "optimizer");
      this.optimizerSpec = null;
      return this;
    }

    /** The optimizer as a spec (e.g. read from a run's metadata). */
    public Builder setOptimizer(OptimizerSpec optimizer) {
      this.optimizerSpec = Objects.requireNonNull(optimizer, "optimizer");
      this.optimizerBuilder = null;
      return this;
    }

    /** Updates in the run. */
    public Builder setSteps(long steps) {
      config.setSteps(steps);
      return this;
    }

    /** B, examples per (micro-)batch. */
    public Builder setBatchSize(int batchSize) {
      config.setBatchSize(batchSize);
      return this;
    }

    /** N, tokens per example (default: the model's longest input). */
    public Builder optLength(int length) {
      this.length = length;
      return this;
    }

    /** Data order, dropout and initial weights all follow from it (default 0). */
    public Builder optSeed(long seed) {
      config.optSeed(seed);
      return this;
    }

    /** Evaluate on the validation data every this many updates (and at the end). */
    public Builder optEvalEvery(int updates) {
      config.optEvalEvery(updates);
      return this;
    }

    /** Batches of the validation data per evaluation (default 0: all). */
    public Builder optEvalBatches(int batches) {
      config.optEvalBatches(batches);
      return this;
    }

    /** Checkpoint every this many updates (and at the end). */
    public Builder optCheckpointEvery(int updates) {
      config.optCheckpointEvery(updates);
      return this;
    }

    /** How many of the newest checkpoints stay (default 3; the best one stays besides). */
    public Builder optKeepCheckpoints(int keep) {
      config.optKeepCheckpoints(keep);
      return this;
    }

    /** Stop after this many evaluations without a better best metric (default 0: never). */
    public Builder optEarlyStopPatience(int evaluations) {
      config.optEarlyStopPatience(evaluations);
      return this;
    }

    /** The validation metric that picks the best checkpoint (default: accuracy, or loss for LMs). */
    public Builder optBestMetric(BestMetric metric) {
      config.optBestMetric(metric);
      return this;
    }

    /** Rebuild each block's activations in the backward pass (gradient checkpointing). */
    public Builder optRecompute(boolean recompute) {
      config.optRecompute(recompute);
      return this;
    }

    /**
     * Gradient checkpointing by {@code segments}: whole blocks, or (the classifiers' encoder only) each
     * block's attention half and MLP half, a lower peak for more time; null: none.
     */
    public Builder optRecompute(io.longshort.graph.core.Recomputation.Segments segments) {
      config.optRecompute(segments);
      return this;
    }

    /** The run folder: checkpoints, best/, TensorBoard events; resumed when it holds checkpoints. */
    public Builder optRunDir(Path runDir) {
      this.runDir = runDir;
      return this;
    }

    /** Each update as one XLA-compiled call (without gradient accumulation). */
    public Builder optXla(boolean xla) {
      this.xla = xla;
      return this;
    }

    /** Compute in bfloat16 on float32 master weights (token models). */
    public Builder optBf16(boolean bf16) {
      this.bf16 = bf16;
      return this;
    }

    /** The progress bar and evaluation lines on standard output (default on). */
    public Builder optProgress(boolean progress) {
      this.progress = progress;
      return this;
    }

    /** Told of the run's start, updates, evaluations and checkpoints. */
    public Builder optListener(TrainingListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Builds the training graph, opens the run folder and resumes from its newest checkpoint. */
    public Trainer<?> build() throws IOException {
      if (optimizerBuilder == null && optimizerSpec == null) {
        throw new IllegalArgumentException("Trainer: the optimizer is required (setOptimizer)");
      }
      int n = length != null ? length : model.defaultLength();
      if (length != null && length < 1) {
        throw new IllegalArgumentException("Trainer: length (" + length + ") must be >= 1");
      }
      config.setLength(n);
      TrainConfig c = config.build();
      OptimizerSpec o = optimizerSpec != null ? optimizerSpec
          : optimizerBuilder.buildFor((int) Math.min(Integer.MAX_VALUE, c.steps()));
      if (bf16) {
        return new Trainer<>(this, TBfloat16.class, TFloat32.class, o, c);
      }
      return new Trainer<>(this, model.dtype(), model.dtype(), o, c);
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

  /** The token model's graph ({@link ModelSpec} runs). */
  public ModelGraph<T> graph() {
    if (graph == null) {
      throw new IllegalStateException("this run trains a " + definition.family() + " model, not a ModelSpec's"
          + " graph; model() is its training graph");
    }
    return graph;
  }

  /** N, tokens per example (0: images). */
  public int length() {
    return config.length();
  }

  /** The training graph. */
  public TrainableModel<T> model() {
    return model;
  }

  /** The definition the trainer was built from ({@link #builder}); null for the {@link ModelSpec} constructors. */
  public Model<?> definition() {
    return definition;
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

  /**
   * Trains to the configured steps from where the run folder left off, evaluating on {@code valid}
   * (null: no evaluation): each dataset read as the model reads it and batched by the trainer
   * (its batch size, the model's length, shuffled by the seed). A user's file's label names are
   * the training file's, recorded in the run folder ({@link RunLabels}).
   */
  public TrainingResult fit(Dataset train, Dataset valid) throws IOException {
    Dataset.Reading reading = reading();
    Dataset.Examples t = train.read(reading);
    Dataset.Examples v = valid == null ? null : valid.read(reading.withLabels(t.labels()));
    if (t.labels() != null && run.persistent()) {
      RunLabels.write(run.dir(), t.labelField(), t.labels());
    }
    TrainingResult r = train(t.training(config.batchSize(), config.seed()),
        v == null ? null : v.evaluation(config.batchSize()), new TrainingListener() {});
    if (progress != null) {
      progress.summary(r);
    }
    return r;
  }

  /** Loss, accuracy (and bits per character) of the current weights over every row of {@code data}, no dropout. */
  public TrainingLoop.Metrics evaluate(Dataset data) throws IOException {
    return loop.evaluate(data.read(reading()).evaluation(config.batchSize()), 0);
  }

  private Dataset.Reading reading() {
    Model<?> d = definition != null ? definition : new SpecModel(graph.spec());
    return d.reading(config.length());
  }

  /** Trains on batches already made ({@link BatchSource}), telling {@code listener} besides the builder's. */
  public TrainingResult train(BatchSource train, BatchSource valid, TrainingListener listener)
      throws IOException {
    List<TrainingListener> all = new ArrayList<>();
    if (progress != null) {
      all.add(progress);
    }
    all.addAll(listeners);
    all.add(listener);
    return loop.train(config, train, valid, all.size() == 1 ? listener : new Listeners(all));
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
      model.close();
    }
  }
}
