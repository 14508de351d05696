package io.longshort.train.distributed;

import io.longshort.compile.XlaFunction;
import io.longshort.data.Batch;
import io.longshort.data.BatchSource;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.TrainableModel;
import io.longshort.train.Feeds;
import io.longshort.train.Optimizer;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A synchronous data-parallel training step by in-graph replication, in the model's training
 * graph: one replica of the model per worker, each a function call placed on
 * {@code /job:worker/task:i} that computes its shard's mean loss and its gradients; the gradients
 * are averaged and one {@link Optimizer} update is applied to the variables, which live on the
 * master's task (task 0, the chief's), like a parameter server. One {@code Session.run} is one
 * step of every worker: it cannot finish without every replica's gradients, so a missing worker
 * fails the step and no update is made from stale or partial gradients.
 *
 * <p>Why a function per replica: gradients come from the C API ({@code Graph.addGradients}), which
 * gives its ops no device, so in the outer graph the backward pass would land on the master's
 * task. Built inside a function body (forward, loss and gradients) and called from an op placed on
 * {@code /job:worker/task:i}, the whole replica runs on that task (TensorFlow inlines the call and
 * its body takes the call's device). The variables, created without a device, are placed by the
 * master on its own task, task 0, with the averaging and the update.
 *
 * <p>Every shard has the same number of rows (B / W) and the loss is the mean over rows (examples,
 * or positions for language models), so the mean of the W shard gradients is exactly the gradient
 * of the combined batch's mean loss.
 *
 * <p>Letters: W workers, B the combined batch, S = B / W rows per shard, N length.
 */
public final class ReplicatedStep implements TrainStep {
  /** The placeholders one replica is fed. */
  public record Replica(Map<String, Placeholder<TInt32>> inputs, Placeholder<TInt32> labels,
      Placeholder<TInt64> dropoutSeed) {}

  private final List<Replica> replicas;
  private final Optimizer<TFloat32> optimizer;
  private final Placeholder<TFloat32> dropoutRate;
  private final Operand<TFloat32> loss;
  private final long seed;
  private final double rate;
  private Session session;
  private boolean update = true;
  private Set<String> traced;

  private ReplicatedStep(List<Replica> replicas, Optimizer<TFloat32> optimizer, Placeholder<TFloat32> dropoutRate,
      Operand<TFloat32> loss, long seed, double rate) {
    this.replicas = replicas;
    this.optimizer = optimizer;
    this.dropoutRate = dropoutRate;
    this.loss = loss;
    this.seed = seed;
    this.rate = rate;
  }

  /**
   * Adds the replicas, the averaging and the update to {@code graph}.
   *
   * @param graph a float32 training graph built for S rows per batch; its variables are the ones
   *     trained (its own forward pass runs only for evaluation)
   * @param workers W, replicas placed on tasks 0..W-1 of job "worker"
   * @param seed the run's seed: replica i of update s draws dropout from (seed, s W + i)
   */
  public static ReplicatedStep build(TrainableModel<TFloat32> graph, OptimizerSpec spec, int workers, long seed) {
    if (!graph.training()) {
      throw new IllegalArgumentException("not a training graph");
    }
    if (spec.accumulationSteps() != 1) {
      throw new IllegalArgumentException("distributed training takes accumulationSteps 1 (got "
          + spec.accumulationSteps() + "): more workers give the larger batch instead");
    }
    Graph g = graph.graph();
    List<String> names = graph.parameters().list().stream().map(Parameter::name).toList();
    Ops top = Ops.create(g);
    Placeholder<TFloat32> rate = top.withName("replica_dropout_rate").placeholder(TFloat32.class,
        Placeholder.shape(Shape.scalar()));
    List<Replica> replicas = new ArrayList<>();
    List<Operand<TFloat32>> losses = new ArrayList<>();
    // (P) gradient sums over the replicas, by parameter
    List<Operand<TFloat32>> sums = new ArrayList<>(java.util.Collections.nCopies(names.size(), null));
    for (int i = 0; i < workers; i++) {
      Ops tf = top.withSubScope("replica_" + i)
          .withDevice(DeviceSpec.newBuilder().job(ClusterSpec.JOB).replica(0).task(i).build());
      Map<String, Placeholder<TInt32>> inputs = new LinkedHashMap<>();
      List<Operand<?>> args = new ArrayList<>();
      for (var in : graph.inputs().entrySet()) {
        // (S, N)
        Placeholder<TInt32> p = tf.withName(in.getKey()).placeholder(TInt32.class,
            Placeholder.shape(in.getValue().shape()));
        inputs.put(in.getKey(), p);
        args.add(p);
      }
      Placeholder<TInt64> dropoutSeed = tf.withName("dropout_seed").placeholder(TInt64.class,
          Placeholder.shape(Shape.of(2)));
      // (S) or (S, N)
      Placeholder<TInt32> labels = tf.withName("labels").placeholder(TInt32.class,
          Placeholder.shape(graph.labels().shape()));
      args.add(dropoutSeed);
      args.add(rate);
      args.add(labels);
      replicas.add(new Replica(inputs, labels, dropoutSeed));
      int n = args.size();
      List<String> order = new ArrayList<>();
      XlaFunction.Call call = XlaFunction.build(GraphScope.root(graph.parameters(), tf), "replica_" + i, args,
          (scope, a) -> {
            List<Operand<?>> in = new ArrayList<>();
            for (int k = 0; k < n - 1; k++) {
              in.add(a.get(k));
            }
            Operand<?> shardLoss = graph.trainingLoss(scope, in, a.get(n - 1, TInt32.class));
            List<Parameter<TFloat32>> params = scope.parameters().list();
            List<Operand<?>> out = new ArrayList<>();
            out.add(shardLoss);
            out.addAll(Gradients.of(scope.parameters().graph(), shardLoss, params, TFloat32.class));
            params.forEach(p -> order.add(p.name()));
            return out;
          }, false);
      losses.add(call.output(0, TFloat32.class));
      for (int p = 0; p < names.size(); p++) {
        // the body lists parameters in the order the forward pass creates them, as the graph does
        if (!order.get(p).equals(names.get(p))) {
          throw new IllegalStateException("replica " + i + " has parameter " + order.get(p) + " where the graph has "
              + names.get(p));
        }
        Operand<TFloat32> grad = call.output(1 + p, TFloat32.class);
        sums.set(p, sums.get(p) == null ? grad : top.math.add(sums.get(p), grad));
      }
    }
    Ops avg = top.withSubScope("average");
    Operand<TFloat32> scale = avg.constant(1f / workers);
    // mean of equal-sized shards' mean-loss gradients = gradient of the combined batch's mean loss
    List<Operand<TFloat32>> mean = sums.stream().map(s -> (Operand<TFloat32>) avg.math.mul(s, scale)).toList();
    Operand<TFloat32> loss = avg.withName("loss").math.mul(avg.math.addN(losses), scale);
    List<Parameter<TFloat32>> vars = graph.parameters().list();
    Optimizer<TFloat32> optimizer = new Optimizer<>(g, spec, vars, mean);
    return new ReplicatedStep(List.copyOf(replicas), optimizer, rate, loss, seed, graph.trainingDropout());
  }

  /** The session on the cluster's master the step runs in, opened once the graph is complete. */
  public void open(Session session) {
    this.session = session;
  }

  @Override
  public Session session() {
    if (session == null) {
      throw new IllegalStateException("ReplicatedStep: no session yet (open it on the cluster first)");
    }
    return session;
  }

  public List<Replica> replicas() {
    return replicas;
  }

  @Override
  public Optimizer<TFloat32> optimizer() {
    return optimizer;
  }

  /** The float32 dropout rate, fed once for every replica. */
  public Placeholder<TFloat32> dropoutRate() {
    return dropoutRate;
  }

  /** The combined batch's mean loss (before the update). */
  public Operand<TFloat32> loss() {
    return loss;
  }

  @Override
  public long examplesPerUpdate(int batchSize) {
    return batchSize;
  }

  /**
   * One update from the combined batch {@code step}: worker i gets rows [i S, (i+1) S) and the
   * dropout seed (seed, step W + i), which for one worker is the single-process run's (seed, step).
   */
  @Override
  public Outcome run(long step, BatchSource data) {
    Batch batch = data.batch(step);
    int w = replicas.size();
    if (batch.batchSize() % w != 0) {
      throw new IllegalArgumentException("batch of " + batch.batchSize() + " rows for " + w + " workers");
    }
    int shard = batch.batchSize() / w;
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session().runner();
      Feeds.dropout(runner, null, dropoutRate, seed, 0, rate, fed);
      for (int i = 0; i < w; i++) {
        Replica r = replicas.get(i);
        Feeds.feed(runner, r.inputs(), r.labels(), batch.rows(i * shard, (i + 1) * shard), fed);
        Feeds.dropout(runner, r.dropoutSeed(), null, seed, step * w + i, 0, fed);
      }
      runner.fetch(loss).fetch(optimizer.learningRate()).fetch(optimizer.gradientNorm());
      if (update) {
        runner.addTarget(optimizer.update());
      }
      if (traced != null) {
        runner.setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build());
      }
      try (var result = traced != null ? runner.runAndFetchMetadata() : runner.run()) {
        if (traced != null) {
          result.getMetadata().orElseThrow().getStepStats().getDevStatsList().stream()
              .filter(d -> d.getNodeStatsCount() > 0).forEach(d -> traced.add(d.getDevice()));
        }
        return Outcome.of(result);
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /**
   * The devices that ran ops of the loss and gradients of update {@code step}, traced by
   * TensorFlow's step stats; no update is made.
   */
  public Set<String> devicesOfStep(long step, BatchSource data) {
    Set<String> devices = new java.util.TreeSet<>();
    update = false;
    traced = devices;
    try {
      run(step, data);
    } finally {
      update = true;
      traced = null;
    }
    return devices;
  }
}
