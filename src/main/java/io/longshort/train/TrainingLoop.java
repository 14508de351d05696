package io.longshort.train;

import io.longshort.data.Batch;
import io.longshort.data.BatchSource;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.DecodingModel;
import io.longshort.graph.model.TrainableModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TInt64;

/**
 * The one training loop: runs a {@link TrainStep} (plain, compiled, accumulating, replicated) on a
 * model's training graph from the step its run folder left off at, reports progress, writes
 * TensorBoard scalars, evaluates every {@code evalEvery} updates, checkpoints every
 * {@code checkpointEvery} updates, keeps the checkpoint of the best validation metric besides
 * ({@link RunFolder#saveBest}; {@link BestMetric}: accuracy for classifiers, loss for language
 * models, unless the config names one), and stops early on a plateau of that metric. A non-finite
 * loss or gradient norm, or non-finite weights at a checkpoint, stop the run
 * ({@link TrainingDivergedException}) before anything of it is checkpointed, so the newest
 * checkpoint is always finite.
 */
public final class TrainingLoop {
  /** Evaluation results; bitsPerCharacter is the loss in bits (language models). */
  public record Metrics(double loss, double accuracy, double bitsPerCharacter, long rows) {}

  /** Turns a failure of the step's session (a worker lost) into the run's own exception. */
  @FunctionalInterface
  public interface Failures {
    RuntimeException of(String what, RuntimeException e);
  }

  /** The model trained, and evaluated unless it carries a cache from block to block. */
  private final TrainableModel<?> model;
  private final TrainStep step;
  private final RunFolder run;
  private final List<TrainingVariable> variables;
  private final FiniteCheck finite;
  private final boolean languageModel;
  private final Failures failures;
  /** Whether each step also records step_seconds. */
  private final boolean stepSeconds;

  /**
   * @param languageModel whether evaluation also reports bits per character
   * @param failures how errors of the session are reported (identity for local sessions)
   */
  public TrainingLoop(TrainableModel<?> model, TrainStep step, RunFolder run, boolean languageModel,
      boolean stepSeconds, Failures failures) {
    this.model = model;
    this.step = step;
    this.run = run;
    this.languageModel = languageModel;
    this.stepSeconds = stepSeconds;
    this.failures = failures;
    List<TrainingVariable> all = new ArrayList<>(TrainStep.variables(model, step.optimizer()));
    all.addAll(step.state());
    variables = List.copyOf(all);
    finite = new FiniteCheck(model);
  }

  public TrainingLoop(TrainableModel<?> model, TrainStep step, RunFolder run, boolean languageModel) {
    this(model, step, run, languageModel, false, (what, e) -> e);
  }

  /** Every variable of the training state: parameters, then the optimizer's (checkpoint order). */
  public List<TrainingVariable> variables() {
    return List.copyOf(variables);
  }

  public RunFolder runFolder() {
    return run;
  }

  /** Restores the run folder's newest checkpoint, if any (after initialising the session's variables). */
  public Optional<Path> resume() throws IOException {
    return run.resume(step.session(), variables);
  }

  /** Restores {@code checkpoint} of this run (e.g. the best one, to evaluate it). */
  public void restore(Path checkpoint) throws IOException {
    run.restore(checkpoint, step.session(), variables);
  }

  /** The number of updates made so far (after a resume, where the checkpoint left off). */
  public long step() {
    try (var r = step.session().runner().fetch(step.optimizer().step()).run()) {
      return ((TInt64) r.get(0)).getLong();
    } catch (RuntimeException e) {
      throw failures.of("reading the step", e);
    }
  }

  /**
   * Trains to {@code config.steps()} (its batch size and length are the data's); {@code valid}
   * null for no evaluation.
   */
  public TrainingResult train(TrainConfig config, BatchSource train, BatchSource valid, TrainingListener listener)
      throws IOException {
    long start = step();
    run.prepareResume(start);
    run.graph(model.graph().toGraphDef());
    listener.started(start, config.steps());
    Metrics last = null;
    Metrics best = null;
    BestMetric metric = config.bestMetric() != null ? config.bestMetric() : BestMetric.defaultFor(languageModel);
    Optional<RunFolder.Best> recorded = run.best();
    if (recorded.isPresent() && !recorded.get().metric().equals(metric.tag())) {
      // e.g. a run begun when best.json kept the lowest loss: say so before its best is replaced
      System.err.println("note: " + run.dir().resolve(RunFolder.BEST_FILE) + " records the best " + recorded.get().metric()
          + " (step " + recorded.get().step() + "); this run keeps the best " + metric.tag()
          + ", so its next evaluation replaces that checkpoint");
    }
    double bestValue = recorded.filter(b -> b.metric().equals(metric.tag())).map(RunFolder.Best::value)
        .orElse(metric.worst());
    int sinceBest = 0;
    Path lastCheckpoint = run.latest().orElse(null);
    long tokensPerUpdate = step.examplesPerUpdate(config.batchSize()) * Math.max(1, config.length());
    for (long s = start; s < config.steps(); s++) {
      long t0 = System.nanoTime();
      TrainStep.Outcome o;
      try {
        o = step.run(s, train);
      } catch (RuntimeException e) {
        throw failures.of("step " + (s + 1), e);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long done = s + 1;
      if (!Double.isFinite(o.loss()) || !Double.isFinite(o.gradientNorm())) {
        throw new TrainingDivergedException(done, "the loss is " + o.loss() + " and the gradient norm "
            + o.gradientNorm(), lastCheckpoint);
      }
      listener.step(done, o.loss(), o.learningRate(), o.gradientNorm(), tokensPerUpdate / seconds);
      run.scalar("loss", done, o.loss());
      run.scalar("learning_rate", done, o.learningRate());
      run.scalar("gradient_norm", done, o.gradientNorm());
      run.scalar("tokens_per_second", done, tokensPerUpdate / seconds);
      if (stepSeconds) {
        run.scalar("step_seconds", done, seconds);
      }
      boolean end = done == config.steps();
      boolean improved = false;
      boolean stopped = false;
      if (valid != null && (done % config.evalEvery() == 0 || end)) {
        last = evaluate(valid, config.evalBatches());
        listener.evaluated(done, last);
        run.scalar("valid/loss", done, last.loss());
        run.scalar("valid/accuracy", done, last.accuracy());
        if (languageModel) {
          run.scalar("valid/bits_per_character", done, last.bitsPerCharacter());
        }
        if (best == null || metric.better(metric.of(last), metric.of(best))) {
          best = last;
          sinceBest = 0;
        } else if (config.earlyStopPatience() > 0 && ++sinceBest >= config.earlyStopPatience()) {
          stopped = true;
        }
        improved = metric.better(metric.of(last), bestValue);
      }
      if (run.persistent() && (done % config.checkpointEvery() == 0 || end || stopped)) {
        lastCheckpoint = checkpoint(done, lastCheckpoint, () -> run.save(done, step.session(), variables,
            config.keepCheckpoints()));
        listener.checkpointed(done, lastCheckpoint);
      }
      if (run.persistent() && improved) {
        bestValue = metric.of(last);
        double value = bestValue;
        checkpoint(done, lastCheckpoint, () -> run.saveBest(done, step.session(), variables, metric.tag(), value));
      }
      if (stopped) {
        return new TrainingResult(done, last, best, true, lastCheckpoint);
      }
    }
    return new TrainingResult(Math.max(start, config.steps()), last, best, false, lastCheckpoint);
  }

  /** A checkpoint write. */
  private interface Save {
    Path save() throws IOException;
  }

  /** Runs {@code save} (a checkpoint of {@code done}) unless a weight is not finite. */
  private Path checkpoint(long done, Path lastGood, Save save) throws IOException {
    try {
      if (!finite.allFinite(step.session())) {
        throw new TrainingDivergedException(done, "a weight is not finite", lastGood);
      }
      return save.save();
    } catch (RuntimeException e) {
      if (e instanceof TrainingDivergedException) {
        throw e;
      }
      throw failures.of("the checkpoint of step " + done, e);
    }
  }

  /**
   * Loss, accuracy and bits per character over {@code batches} batches (0 = one epoch), no dropout,
   * counting only each batch's real rows.
   */
  public Metrics evaluate(BatchSource data, int batches) {
    if (model instanceof DecodingModel<?>) {
      throw new IllegalStateException("this loop trains a model that carries a cache from block to block: it is"
          + " evaluated by streaming its blocks (StreamingEval), not batch by batch; give no validation data");
    }
    long n = batches > 0 ? Math.min(batches, data.batchesPerEpoch()) : data.batchesPerEpoch();
    double lossSum = 0;
    double correct = 0;
    long rows = 0;
    Session session = step.session();
    for (long i = 0; i < n; i++) {
      Batch batch = data.batch(i);
      int real = batch.realRows();
      List<Tensor> fed = new ArrayList<>();
      try {
        Session.Runner runner = Feeds.feed(session.runner(), model, batch, fed)
            .fetch(model.outputs().get("losses")).fetch(model.outputs().get("hits"));
        try (var r = runner.run()) {
          double[] losses = HostTensors.toDoubles(r.get(0));
          double[] hits = HostTensors.toDoubles(r.get(1));
          for (int j = 0; j < real; j++) {
            lossSum += losses[j];
            correct += hits[j];
          }
        }
      } catch (RuntimeException e) {
        throw failures.of("evaluation", e);
      } finally {
        fed.forEach(Tensor::close);
      }
      rows += real;
    }
    double loss = lossSum / rows;
    return new Metrics(loss, correct / rows, loss / Math.log(2), rows);
  }
}
