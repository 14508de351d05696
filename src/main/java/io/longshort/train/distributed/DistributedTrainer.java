package io.longshort.train.distributed;

import io.longshort.data.Batch;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.BatchSource;
import io.longshort.train.Checkpoints;
import io.longshort.train.EventWriter;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingVariable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The chief's training loop of a synchronous data-parallel run ({@link ReplicatedStep}) on a
 * TensorFlow cluster: the session runs on the master at worker 0's server; every step splits the
 * combined batch into one equal shard per worker and runs one update. The chief writes the same
 * checkpoints ({@code ckpt-<step>.safetensors}, same variables and metadata, so a run may resume on
 * one machine with {@link Trainer} or the other way round) and TensorBoard scalars as {@link Trainer}.
 * A run folder holding checkpoints resumes from the newest: same weights, optimizer state, step and
 * data order. A step that fails on the cluster (a worker died or cannot be reached) stops the run
 * with {@link WorkerFailureException}; that step made no update, and a restart resumes from the
 * newest checkpoint.
 *
 * <p>Letters: W workers, B the combined batch, S = B / W rows per shard, N length.
 */
public final class DistributedTrainer implements AutoCloseable {
  private final ModelSpec model;
  private final TrainConfig config;
  private final ClusterSpec cluster;
  private final Path runDir;
  private final ModelGraph<TFloat32> graph;
  private final ReplicatedStep step;
  private final Session session;
  private final List<TrainingVariable> variables = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final int shard;
  private EventWriter events;

  /**
   * @param config its batchSize is the combined batch B (a multiple of the number of workers)
   * @param stepTimeoutMillis how long one step may take before it fails (TensorFlow's
   *     operation_timeout_in_ms), so a worker that hangs cannot stall the job forever
   */
  public DistributedTrainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, ClusterSpec cluster,
      Path runDir, long stepTimeoutMillis) throws IOException {
    this.model = model;
    this.config = config;
    this.cluster = cluster;
    this.runDir = runDir;
    int w = cluster.size();
    if (config.batchSize() % w != 0) {
      throw new IllegalArgumentException("batch (" + config.batchSize() + ") must be a multiple of the number of"
          + " workers (" + w + "): every worker takes batch / workers rows");
    }
    if (stepTimeoutMillis < 1) {
      throw new IllegalArgumentException("step timeout (" + stepTimeoutMillis + " ms) must be >= 1");
    }
    shard = config.batchSize() / w;
    Files.createDirectories(runDir);
    graph = ModelGraph.buildForTraining(model, TFloat32.class, shard, config.length(), config.seed());
    try {
      step = ReplicatedStep.build(graph, optimizerSpec, w);
      graph.parameters().list().forEach(p -> variables.add(TrainingVariable.of(graph.parameters(), p)));
      Ops setOptimizer = Ops.create(graph.graph()).withSubScope("set_optimizer");
      step.optimizer().state().forEach(v -> variables.add(TrainingVariable.of(setOptimizer, v)));
      // the keys Trainer checks on resume, with the same values: checkpoints move between both
      metadata.put("model", model.toJson());
      metadata.put("optimizer", optimizerSpec.toJson());
      metadata.put("seed", Long.toString(config.seed()));
      metadata.put("batchSize", Integer.toString(config.batchSize()));
      metadata.put("length", Integer.toString(config.length()));
      metadata.put("compute_dtype", "float32");
      metadata.put("workers", Integer.toString(w));
      // the replicas are functions whose resource arguments live on task 0: TF inlines them into the
      // graph (Grappler), and where it does not, the function runtime must see every task's devices
      ConfigProto sessionConfig = ConfigProto.newBuilder().setOperationTimeoutInMs(stepTimeoutMillis)
          .setExperimental(ConfigProto.Experimental.newBuilder().setShareClusterDevicesInSession(true)).build();
      session = RemoteSession.open(graph.graph(), cluster.target(0), sessionConfig);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    try {
      // variables on a server outlive sessions: initialise, then restore, so nothing stale survives
      session.forceInitialize();
      Optional<Path> latest = Checkpoints.newestIntact(checkpointDir(), System.err::println);
      if (latest.isPresent()) {
        Map<String, String> saved = Checkpoints.restore(latest.get(), session, variables);
        for (String key : List.of("model", "optimizer", "seed", "batchSize", "length")) {
          if (!metadata.get(key).equals(saved.get(key))) {
            throw new IllegalArgumentException("run folder " + runDir + " holds a run with another " + key
                + " (" + latest.get().getFileName() + "); use a new folder, or the same settings to resume");
          }
        }
      }
    } catch (TensorFlowException e) {
      close();
      throw WorkerFailureException.of("starting the run", cluster, e, checkpointDir());
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  public Path checkpointDir() {
    return runDir.resolve("checkpoints");
  }

  /** The number of updates made so far. */
  public long step() {
    try (var r = session.runner().fetch(step.optimizer().step()).run()) {
      return ((TInt64) r.get(0)).getLong();
    } catch (TensorFlowException e) {
      throw WorkerFailureException.of("reading the step", cluster, e, checkpointDir());
    }
  }

  /** Trains to {@code config.steps()}; progress goes to {@code listener} (no evaluations here). */
  public Trainer.Result train(BatchSource train, Trainer.Listener listener) throws IOException {
    long start = step();
    if (events == null) {
      events = new EventWriter(runDir);
      events.graph(graph.graph().toGraphDef());
    }
    Checkpoints.prepareResume(checkpointDir(), start, System.err::println);
    listener.started(start, config.steps());
    Path lastCheckpoint = Checkpoints.latest(checkpointDir()).orElse(null);
    long tokensPerUpdate = (long) config.batchSize() * config.length();
    for (long s = start; s < config.steps(); s++) {
      long t0 = System.nanoTime();
      double[] fetched;
      try {
        fetched = runStep(train.batch(s), s, true, null);
      } catch (TensorFlowException e) {
        throw WorkerFailureException.of("step " + (s + 1), cluster, e, checkpointDir());
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long done = s + 1;
      listener.step(done, fetched[0], fetched[1], fetched[2], tokensPerUpdate / seconds);
      events.scalar("loss", done, fetched[0]);
      events.scalar("learning_rate", done, fetched[1]);
      events.scalar("gradient_norm", done, fetched[2]);
      events.scalar("tokens_per_second", done, tokensPerUpdate / seconds);
      events.scalar("step_seconds", done, seconds);
      if (done % config.checkpointEvery() == 0 || done == config.steps()) {
        try {
          lastCheckpoint = Checkpoints.save(checkpointDir(), done, session, variables, metadata,
              config.keepCheckpoints());
        } catch (TensorFlowException e) {
          throw WorkerFailureException.of("the checkpoint of step " + done, cluster, e, checkpointDir());
        }
        listener.checkpointed(done, lastCheckpoint);
      }
    }
    return new Trainer.Result(Math.max(start, config.steps()), null, null, false, lastCheckpoint);
  }

  /**
   * One update from the combined batch {@code step}: worker i gets rows [i S, (i+1) S) and the
   * dropout seed (seed, step W + i), which for one worker is the single-process run's (seed, step).
   * Returns loss, learning rate, gradient norm.
   */
  private double[] runStep(Batch batch, long s, boolean update, java.util.Set<String> devices) {
    if (batch.batchSize() != config.batchSize() || batch.length() != config.length()) {
      throw new IllegalArgumentException("batch of shape (" + batch.batchSize() + ", " + batch.length()
          + "); the run takes (" + config.batchSize() + ", " + config.length() + ")");
    }
    int n = config.length();
    Map<String, int[]> arrays = batch.arrays();
    String labelKey = model.task() == Task.LANGUAGE_MODEL ? "targets" : "labels";
    int labelWidth = model.task() == Task.LANGUAGE_MODEL ? n : 1;
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      Tensor rate = TFloat32.scalarOf((float) model.dropout());
      fed.add(rate);
      runner.feed(step.dropoutRate(), rate);
      for (int i = 0; i < cluster.size(); i++) {
        ReplicatedStep.Replica r = step.replicas().get(i);
        for (var in : r.inputs().entrySet()) {
          int[] all = arrays.get(in.getKey());
          // (S, N) rows of worker i
          Tensor t = HostTensors.ints(new long[] {shard, n}, Arrays.copyOfRange(all, i * shard * n, (i + 1) * shard * n));
          fed.add(t);
          runner.feed(in.getValue(), t);
        }
        int[] labels = Arrays.copyOfRange(arrays.get(labelKey), i * shard * labelWidth, (i + 1) * shard * labelWidth);
        Tensor l = HostTensors.ints(r.labels().shape().asArray(), labels);
        Tensor seed = TInt64.vectorOf(config.seed(), s * cluster.size() + i);
        fed.add(l);
        fed.add(seed);
        runner.feed(r.labels(), l).feed(r.dropoutSeed(), seed);
      }
      runner.fetch(step.loss()).fetch(step.optimizer().learningRate()).fetch(step.optimizer().gradientNorm());
      if (update) {
        runner.addTarget(step.optimizer().update());
      }
      if (devices != null) {
        runner.setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build());
      }
      try (var result = devices != null ? runner.runAndFetchMetadata() : runner.run()) {
        if (devices != null) {
          result.getMetadata().orElseThrow().getStepStats().getDevStatsList().stream()
              .filter(d -> d.getNodeStatsCount() > 0).forEach(d -> devices.add(d.getDevice()));
        }
        return new double[] {scalar(result.get(0)), scalar(result.get(1)), scalar(result.get(2))};
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /**
   * The devices that ran ops of the loss and gradients of batch {@code index}, traced by
   * TensorFlow's step stats (e.g. "/job:worker/replica:0/task:1/device:CPU:0"); no update is made.
   * Shows where the replicas really run.
   */
  public java.util.Set<String> devicesOfStep(BatchSource data, long index) {
    java.util.Set<String> devices = new java.util.TreeSet<>();
    try {
      runStep(data.batch(index), index, false, devices);
    } catch (TensorFlowException e) {
      throw WorkerFailureException.of("a traced step", cluster, e, checkpointDir());
    }
    return devices;
  }

  private static double scalar(Tensor t) {
    return HostTensors.toDoubles(t)[0];
  }

  @Override
  public void close() throws IOException {
    try {
      if (events != null) {
        events.close();
      }
    } finally {
      session.close();
      graph.close();
    }
  }
}
