package io.longshort.train;

import io.longshort.data.Batch;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.core.Parameter;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * A training run: the model's training graph, its gradients and optimizer in one graph, a loop
 * that feeds batches by global index, evaluations, TensorBoard scalars and atomic checkpoints in
 * the run folder. A run folder that already holds checkpoints resumes from the newest one: same
 * weights, optimizer state, step, data order (batch i is always the same batch) and dropout masks
 * (seeded by (seed, step)), so an interrupted and resumed run ends where an uninterrupted one does.
 * With {@code xla} each step is one XLA-compiled call ({@link CompiledStep}) on the same variables.
 */
public final class Trainer<T extends TFloating> implements AutoCloseable {
  /** Evaluation results; bitsPerCharacter is the loss in bits (language models). */
  public record Metrics(double loss, double accuracy, double bitsPerCharacter, long rows) {}

  /** How a run ended. */
  public record Result(long steps, Metrics lastEval, Metrics bestEval, boolean stoppedEarly, Path lastCheckpoint) {}

  /** Receives progress; every method has a do-nothing default. */
  public interface Listener {
    default void started(long fromStep, long steps) {}

    default void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {}

    default void evaluated(long step, Metrics metrics) {}

    default void checkpointed(long step, Path file) {}
  }

  private final ModelSpec model;
  private final OptimizerSpec optimizerSpec;
  private final TrainConfig config;
  private final Path runDir;
  private final ModelGraph<T> graph;
  /** Over the variables: Optimizer<TFloat32> for a bfloat16 run with float32 master weights. */
  private final Optimizer<?> optimizer;
  /** The whole step as one must-compile XLA call; null when the step runs plain. */
  private final CompiledStep<T> compiled;
  private final List<TrainingVariable> variables = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private EventWriter events;

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
    return new Trainer<>(model, optimizerSpec, config, TBfloat16.class, TFloat32.class, runDir, false);
  }

  /**
   * A run computing in {@code dtype} on variables stored in {@code variableDtype}: the same dtype
   * for plain runs, or a wider one (float32 master weights for a bfloat16 {@code dtype}); with
   * {@code xla}, each step compiled (full-precision runs only, for now).
   */
  @SuppressWarnings("unchecked")
  public Trainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, Class<T> dtype,
      Class<? extends TFloating> variableDtype, Path runDir, boolean xla) throws IOException {
    this.model = model;
    this.optimizerSpec = optimizerSpec;
    this.config = config;
    this.runDir = runDir;
    checkRunFolder(runDir);
    graph = dtype == variableDtype
        ? ModelGraph.buildForTraining(model, dtype, config.batchSize(), config.length(), config.seed())
        : ModelGraph.buildForTraining(model, dtype, variableDtype, config.batchSize(), config.length(), config.seed());
    optimizer = optimizer(graph, optimizerSpec, variableDtype);
    if (xla && dtype != variableDtype) {
      throw new IllegalArgumentException("XLA-compiled steps with mixed precision are not supported yet;"
          + " use one of --xla and --bf16");
    }
    compiled = xla && optimizerSpec.accumulationSteps() == 1
        ? CompiledStep.build(graph, (Optimizer<T>) optimizer) : null;
    graph.parameters().list().forEach(p -> variables.add(TrainingVariable.of(graph.parameters(), p)));
    Ops setOptimizer = Ops.create(graph.graph()).withSubScope("set_optimizer");
    optimizer.state().forEach(v -> variables.add(TrainingVariable.of(setOptimizer, v)));
    metadata.put("model", model.toJson());
    metadata.put("optimizer", optimizerSpec.toJson());
    metadata.put("seed", Long.toString(config.seed()));
    metadata.put("batchSize", Integer.toString(config.batchSize()));
    metadata.put("length", Integer.toString(config.length()));
    // informational: a checkpoint restores into a run of any precision (variables are the same)
    metadata.put("compute_dtype", dtypeName(dtype));
    graph.session(); // initialise before any restore
    Optional<Path> latest = Checkpoints.newestIntact(checkpointDir(), System.err::println);
    if (latest.isPresent()) {
      Map<String, String> saved = Checkpoints.restore(latest.get(), graph.session(), variables);
      for (String key : List.of("model", "optimizer", "seed", "batchSize", "length")) {
        if (!metadata.get(key).equals(saved.get(key))) {
          throw new IllegalArgumentException("run folder " + runDir + " holds a run with another " + key
              + " (" + latest.get().getFileName() + "); use a new folder, or the same settings to resume");
        }
      }
    }
  }

  /**
   * The optimizer over the parameters' variables (float32 master weights under mixed precision):
   * gradients are taken with respect to each variable's read, so they reach the update in the
   * variable's dtype (through the gradient of the cast to the compute dtype).
   */
  private static <V extends TFloating> Optimizer<V> optimizer(ModelGraph<?> graph, OptimizerSpec spec,
      Class<V> variableDtype) {
    List<Parameter<V>> vars = graph.parameters().list().stream().map(p -> p.asVariable(variableDtype)).toList();
    Output<?>[] grads = graph.graph().addGradients(graph.loss().asOutput(),
        vars.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
    List<Operand<V>> g = new ArrayList<>();
    for (int i = 0; i < grads.length; i++) {
      if (grads[i].type() != variableDtype) {
        throw new IllegalStateException("the gradient of '" + vars.get(i).name() + "' is "
            + grads[i].type().getSimpleName() + ", its variable " + variableDtype.getSimpleName());
      }
      @SuppressWarnings("unchecked")
      Operand<V> t = (Operand<V>) grads[i];
      g.add(t);
    }
    return new Optimizer<>(graph.graph(), spec, vars, g);
  }

  private static String dtypeName(Class<?> type) {
    return type == TBfloat16.class ? "bfloat16" : type == TFloat32.class ? "float32"
        : type == org.tensorflow.types.TFloat64.class ? "float64" : type.getSimpleName();
  }

  /** A run folder must be a folder we can write into (created if missing). */
  private static void checkRunFolder(Path dir) throws IOException {
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (java.nio.file.Files.exists(p) && !java.nio.file.Files.isDirectory(p)) {
        throw new IOException("run folder " + dir + ": " + p + " is a file, not a folder");
      }
    }
    java.nio.file.Files.createDirectories(dir);
    if (!java.nio.file.Files.isWritable(dir)) {
      throw new IOException("run folder " + dir + " is not writable");
    }
  }

  public ModelGraph<T> graph() {
    return graph;
  }

  /** Every variable of the training state: parameters, then the optimizer's (checkpoint order). */
  List<TrainingVariable> variables() {
    return List.copyOf(variables);
  }

  /** Whether training steps run as one XLA-compiled call. */
  public boolean compiled() {
    return compiled != null;
  }

  public Path checkpointDir() {
    return runDir.resolve("checkpoints");
  }

  /** The number of updates made so far (after a resume, where the checkpoint left off). */
  public long step() {
    try (var r = graph.session().runner().fetch(optimizer.step()).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  public Result train(BatchSource train, BatchSource valid, Listener listener) throws IOException {
    long start = step();
    if (events == null) {
      // one event file per training session; evaluation alone writes none
      events = new EventWriter(runDir);
      events.graph(graph.graph().toGraphDef());
    }
    Checkpoints.prepareResume(checkpointDir(), start, System.err::println);
    listener.started(start, config.steps());
    Metrics last = null;
    Metrics best = null;
    int sinceBest = 0;
    boolean stopped = false;
    Path lastCheckpoint = Checkpoints.latest(checkpointDir()).orElse(null);
    int k = optimizerSpec.accumulationSteps();
    long tokensPerUpdate = (long) config.batchSize() * config.length() * k;
    for (long s = start; s < config.steps(); s++) {
      long t0 = System.nanoTime();
      double loss = 0;
      double[] fetched = null;
      for (int micro = 0; micro < k; micro++) {
        boolean lastMicro = micro == k - 1;
        fetched = runStep(train.batch(s * k + micro), s, k > 1 && !lastMicro ? optimizer.accumulate() : null,
            lastMicro);
        loss += fetched[0] / k;
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long done = s + 1;
      listener.step(done, loss, fetched[1], fetched[2], tokensPerUpdate / seconds);
      events.scalar("loss", done, loss);
      events.scalar("learning_rate", done, fetched[1]);
      events.scalar("gradient_norm", done, fetched[2]);
      events.scalar("tokens_per_second", done, tokensPerUpdate / seconds);
      boolean end = done == config.steps();
      if (valid != null && (done % config.evalEvery() == 0 || end)) {
        last = evaluate(valid, config.evalBatches());
        listener.evaluated(done, last);
        events.scalar("valid/loss", done, last.loss());
        events.scalar("valid/accuracy", done, last.accuracy());
        if (model.task() == Task.LANGUAGE_MODEL) {
          events.scalar("valid/bits_per_character", done, last.bitsPerCharacter());
        }
        if (best == null || last.loss() < best.loss()) {
          best = last;
          sinceBest = 0;
        } else if (config.earlyStopPatience() > 0 && ++sinceBest >= config.earlyStopPatience()) {
          stopped = true;
        }
      }
      if (done % config.checkpointEvery() == 0 || end || stopped) {
        lastCheckpoint = Checkpoints.save(checkpointDir(), done, graph.session(), variables, metadata,
            config.keepCheckpoints());
        listener.checkpointed(done, lastCheckpoint);
      }
      if (stopped) {
        return new Result(done, last, best, true, lastCheckpoint);
      }
    }
    return new Result(Math.max(start, config.steps()), last, best, false, lastCheckpoint);
  }

  /**
   * One micro-batch: with {@code accumulate} its gradients are added up; otherwise the update runs
   * (on the accumulated mean when accumulating). Returns loss, learning rate, gradient norm.
   */
  private double[] runStep(Batch batch, long step, org.tensorflow.op.Op accumulate, boolean update) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = feed(graph.session().runner(), batch, fed);
      Tensor seed = TInt64.vectorOf(config.seed(), step);
      Tensor rate = TFloat32.scalarOf((float) model.dropout());
      fed.add(seed);
      fed.add(rate);
      runner.feed(graph.dropoutSeed(), seed).feed(graph.dropoutRate(), rate);
      if (compiled != null) {
        // the call's outputs depend on every update in it
        runner.fetch(compiled.loss()).fetch(compiled.learningRate()).fetch(compiled.gradientNorm());
      } else {
        runner.fetch(graph.loss()).fetch(optimizer.learningRate()).fetch(optimizer.gradientNorm());
        runner.addTarget(accumulate != null ? accumulate : optimizer.update());
      }
      try (var r = runner.run()) {
        return new double[] {scalar(r.get(0)), scalar(r.get(1)), scalar(r.get(2))};
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** Loss, accuracy and bits per character over {@code batches} batches (0 = one epoch), no dropout. */
  public Metrics evaluate(BatchSource data, int batches) {
    long n = batches > 0 ? Math.min(batches, data.batchesPerEpoch()) : data.batchesPerEpoch();
    double lossSum = 0;
    double correct = 0;
    long rows = 0;
    int rowsPerExample = model.task() == Task.LANGUAGE_MODEL ? config.length() : 1;
    for (long i = 0; i < n; i++) {
      Batch batch = data.batch(i);
      // an epoch's last batch may be filled up with padding rows: only the real ones count
      int real = batch.rows() * rowsPerExample;
      List<Tensor> fed = new ArrayList<>();
      try {
        Session.Runner runner = feed(graph.session().runner(), batch, fed)
            .fetch(graph.outputs().get("losses")).fetch(graph.outputs().get("hits"));
        try (var r = runner.run()) {
          double[] losses = HostTensors.toDoubles(r.get(0));
          double[] hits = HostTensors.toDoubles(r.get(1));
          for (int j = 0; j < real; j++) {
            lossSum += losses[j];
            correct += hits[j];
          }
        }
      } finally {
        fed.forEach(Tensor::close);
      }
      rows += real;
    }
    double loss = lossSum / rows;
    return new Metrics(loss, correct / rows, loss / Math.log(2), rows);
  }

  private Session.Runner feed(Session.Runner runner, Batch batch, List<Tensor> fed) {
    if (batch.batchSize() != config.batchSize() || batch.length() != config.length()) {
      throw new IllegalArgumentException("batch of shape (" + batch.batchSize() + ", " + batch.length()
          + "); the graph takes (" + config.batchSize() + ", " + config.length() + ")");
    }
    Map<String, int[]> arrays = batch.arrays();
    for (var in : graph.inputs().entrySet()) {
      int[] v = arrays.get(in.getKey());
      if (v == null) {
        throw new IllegalArgumentException("the batch has no '" + in.getKey() + "'; it has " + arrays.keySet());
      }
      Tensor t = HostTensors.ints(new long[] {config.batchSize(), config.length()}, v);
      fed.add(t);
      runner.feed(in.getValue(), t);
    }
    int[] targets = model.task() == Task.LANGUAGE_MODEL ? batch.targets() : batch.labels();
    Tensor labels = HostTensors.ints(graph.labels().shape().asArray(), targets);
    fed.add(labels);
    return runner.feed(graph.labels(), labels);
  }

  private static double scalar(Tensor t) {
    return HostTensors.toDoubles(t)[0];
  }

  @Override
  public void close() throws IOException {
    if (events != null) {
      events.close();
    }
    graph.close();
  }
}
