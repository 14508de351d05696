package io.longshort.train.distributed;

import io.longshort.data.BatchSource;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.RunFolder;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingListener;
import io.longshort.train.TrainingLoop;
import io.longshort.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * The chief of a synchronous data-parallel run on a TensorFlow cluster: the {@link TrainingLoop}
 * configured with a {@link ReplicatedStep} and a session on the master at worker 0's server;
 * every step splits the combined batch into one equal shard per worker and runs one update. The
 * run folder, checkpoints ({@code ckpt-<step>.safetensors}, same variables and metadata, so a run
 * may resume on one machine with {@link Trainer} or the other way round), best checkpoint,
 * TensorBoard scalars (plus {@code step_seconds}) and validation are the loop's, as for
 * {@link Trainer}. Validation runs the model's own forward pass (placed on task 0) on shards of S
 * rows of each validation batch. A step that fails on the cluster (a worker died or cannot be
 * reached) stops the run with {@link WorkerFailureException}; that step made no update, and a
 * restart resumes from the newest checkpoint.
 *
 * <p>Letters: W workers, B the combined batch, S = B / W rows per shard, N length.
 */
public final class DistributedTrainer implements AutoCloseable {
  private final ClusterSpec cluster;
  private final ModelGraph<TFloat32> graph;
  private final ReplicatedStep step;
  private final RunFolder run;
  private final TrainingLoop loop;
  private final TrainConfig config;
  private Session session;

  /**
   * @param config its batchSize is the combined batch B (a multiple of the number of workers)
   * @param stepTimeoutMillis how long one step may take before it fails (TensorFlow's
   *     operation_timeout_in_ms), so a worker that hangs cannot stall the job forever
   */
  public DistributedTrainer(ModelSpec model, OptimizerSpec optimizerSpec, TrainConfig config, ClusterSpec cluster,
      Path runDir, long stepTimeoutMillis) throws IOException {
    this.cluster = cluster;
    this.config = config;
    int w = cluster.size();
    if (config.batchSize() % w != 0) {
      throw new IllegalArgumentException("batch (" + config.batchSize() + ") must be a multiple of the number of"
          + " workers (" + w + "): every worker takes batch / workers rows");
    }
    if (stepTimeoutMillis < 1) {
      throw new IllegalArgumentException("step timeout (" + stepTimeoutMillis + " ms) must be >= 1");
    }
    // the keys Trainer checks on resume, with the same values: checkpoints move between both
    Map<String, String> metadata = new java.util.LinkedHashMap<>(
        Trainer.metadata(model, optimizerSpec, config, TFloat32.class));
    metadata.put("workers", Integer.toString(w));
    run = RunFolder.open(runDir, metadata, Trainer.IDENTITY);
    try {
      graph = ModelGraph.builder(model).setDtype(TFloat32.class).setBatch(config.batchSize() / w)
          .setLength(config.length()).optSeed(config.seed()).optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build();
    } catch (RuntimeException e) {
      run.closeAfter(e);
      throw e;
    }
    try {
      step = ReplicatedStep.build(graph, optimizerSpec, w, config.seed());
      loop = new TrainingLoop(graph, step, run, model.task() == Task.LANGUAGE_MODEL, true,
          (what, e) -> e instanceof TensorFlowException tf ? WorkerFailureException.of(what, cluster, tf, checkpointDir()) : e);
      // the replicas are functions whose resource arguments live on task 0: TF inlines them into the
      // graph (Grappler), and where it does not, the function runtime must see every task's devices
      ConfigProto sessionConfig = ConfigProto.newBuilder().setOperationTimeoutInMs(stepTimeoutMillis)
          .setExperimental(ConfigProto.Experimental.newBuilder().setShareClusterDevicesInSession(true)).build();
      session = RemoteSession.open(graph.graph(), cluster.target(0), sessionConfig);
      step.open(session);
    } catch (RuntimeException e) {
      graph.close();
      run.closeAfter(e);
      throw e;
    }
    try {
      // variables on a server outlive sessions: initialise, then restore, so nothing stale survives
      session.forceInitialize();
      loop.resume();
    } catch (TensorFlowException e) {
      close();
      throw WorkerFailureException.of("starting the run", cluster, e, checkpointDir());
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  public Path checkpointDir() {
    return run.checkpointDir();
  }

  /** The number of updates made so far. */
  public long step() {
    return loop.step();
  }

  /** Trains to {@code config.steps()} without validation. */
  public TrainingResult train(BatchSource train, TrainingListener listener) throws IOException {
    return train(train, null, listener);
  }

  /**
   * Trains to {@code config.steps()}, validating on {@code valid} (batches of the combined batch B,
   * or null for none) every evalEvery updates.
   */
  public TrainingResult train(BatchSource train, BatchSource valid, TrainingListener listener)
      throws IOException {
    BatchSource v = valid == null ? null : BatchSource.shards(valid, cluster.size());
    return loop.train(config, train, v, listener);
  }

  /**
   * The devices that ran ops of the loss and gradients of batch {@code index}, traced by
   * TensorFlow's step stats (e.g. "/job:worker/replica:0/task:1/device:CPU:0"); no update is made.
   * Shows where the replicas really run.
   */
  public Set<String> devicesOfStep(BatchSource data, long index) {
    try {
      return step.devicesOfStep(index, data);
    } catch (TensorFlowException e) {
      throw WorkerFailureException.of("a traced step", cluster, e, checkpointDir());
    }
  }

  @Override
  public void close() throws IOException {
    try {
      run.close();
    } finally {
      if (session != null) {
        session.close();
      }
      graph.close();
    }
  }
}
