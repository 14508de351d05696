package io.longshort.cli;

import io.longshort.data.ByteCorpus;
import io.longshort.train.TrainingLoop;
import io.longshort.data.ExampleSource;
import io.longshort.data.ListOpsGenerator;
import io.longshort.data.ListOpsSplits;
import io.longshort.data.ListOpsTsv;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.BatchSource;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainConfig;
import io.longshort.train.TrainingSetting;
import io.longshort.train.Trainer;
import io.longshort.train.distributed.ClusterSpec;
import io.longshort.train.distributed.DistributedTrainer;
import io.longshort.train.distributed.WorkerReadiness;
import io.longshort.train.distributed.WorkerServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains a model from the DSL on ListOps, LRA-format TSV files or a byte corpus. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {
        "Trains a model (a shipped config or a ModelSpec JSON) with AdamW and the authors' LRA schedule",
        "(linear warm-up, linear decay), evaluating on the validation data, writing TensorBoard event",
        "files and checkpoints into --run. A --run folder holding checkpoints resumes from the newest.",
        "Data: classifiers read --listops DIR (basic_train.tsv, basic_val.tsv; generated there first",
        "with --generate) or --train-tsv/--valid-tsv (LRA text: label, text); retrieval models read",
        "AAN TSV files; language models read --corpus FILE (enwik8 split 90M/5M/5M, or 90/5/5 %%).",
        "Distributed (--workers host:port,... --task 0, or --tf-config): this process is worker 0, the",
        "chief; it starts worker 0's TensorFlow server and trains synchronously on every worker (each",
        "started with `longshort worker` and the same cluster), --batch rows split evenly among them."})
final class TrainCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--config", paramLabel = "NAME|FILE", description = "A training setting (model, window, rank, "
      + "length, batch, steps, optimizer): lra_listops, lra_text, lra_retrieval (the paper's) or a JSON file. "
      + "Options given here win over its values.")
  String setting;

  @Option(names = "--model", defaultValue = "lra_listops",
      description = "A shipped config name or a ModelSpec JSON file (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--attention", description = "Replace every layer's attention: long_short, full "
      + "(for baselines with the same budget; causal variants for language models).")
  String attention;

  @Option(names = "--window", description = "Override the long-short window w.")
  Integer window;

  @Option(names = "--rank", description = "Override the long-short rank r.")
  Integer rank;

  @Option(names = "--length", description = "Tokens per example (default: the model's maxLength, less one for cls pooling).")
  Integer length;

  @Option(names = "--batch", defaultValue = "32", description = "Examples per batch (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--bf16", description = "Mixed precision: compute the forward and backward passes in bfloat16"
      + " on float32 master weights (optimizer, checkpoints and exports stay float32). On CPUs without"
      + " AVX512-BF16/AMX it is usually slower than float32.")
  boolean bf16;

  @Option(names = "--steps", defaultValue = "5000", description = "Updates (default: ${DEFAULT-VALUE}).")
  long steps;

  @Option(names = "--warmup", description = "Warm-up updates (default: a fifth of --steps, as the authors' 1k of 5k).")
  Integer warmup;

  @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--optimizer", description = "An OptimizerSpec JSON file (replaces --lr, --warmup).")
  Path optimizerFile;

  @Option(names = "--xla", description = "Run each training step (forward, loss, gradients, clipping, optimizer "
      + "update) as one function call that XLA must compile; not with gradient accumulation (those steps run plain).")
  boolean xla;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of weights, data order and dropout (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--run", required = true, description = "Run folder: checkpoints/, TensorBoard events.")
  Path run;

  @Option(names = "--eval-every", defaultValue = "200", description = "Evaluate every N updates (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(names = "--eval-batches", defaultValue = "0", description = "Validation batches per evaluation, 0 = all (default: ${DEFAULT-VALUE}).")
  int evalBatches;

  @Option(names = "--checkpoint-every", defaultValue = "500", description = "Checkpoint every N updates (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--keep", defaultValue = "3", description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--early-stop", defaultValue = "0", description = "Stop after N evaluations without a better validation loss, 0 = never (default: ${DEFAULT-VALUE}).")
  int earlyStop;

  @Option(names = "--skip-bad-rows", description = "Skip malformed data rows (and count them) instead of failing.")
  boolean skipBadRows;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--step-timeout", defaultValue = "120", description = "Distributed runs: seconds one step may"
      + " take before the job stops with an error (default: ${DEFAULT-VALUE}).")
  long stepTimeout;

  @Option(names = "--start-timeout", defaultValue = "300", description = "Distributed runs: seconds to wait for"
      + " every worker's server to come up (default: ${DEFAULT-VALUE}).")
  long startTimeout;

  @ArgGroup(exclusive = true)
  DataOptions data;

  static final class DataOptions {
    @ArgGroup(exclusive = false)
    ListOps listOps;

    @ArgGroup(exclusive = false)
    Tsv tsv;

    @Option(names = "--corpus", description = "A byte corpus for language models (e.g. enwik8).")
    Path corpus;
  }

  static final class ListOps {
    @Option(names = "--listops", required = true, description = "Folder with basic_train.tsv and basic_val.tsv.")
    Path dir;

    @Option(names = "--generate", description = "Generate this many training expressions into --listops first "
        + "(plus a tenth of it for validation), unless the files exist.")
    Integer generate;

    @Option(names = "--min-tokens", defaultValue = "" + ListOpsGenerator.DEFAULT_MIN_LENGTH,
        description = "With --generate: keep expressions longer than this (default: ${DEFAULT-VALUE}).")
    int minTokens;

    @Option(names = "--max-tokens", defaultValue = "" + ListOpsGenerator.DEFAULT_MAX_LENGTH,
        description = "With --generate: keep expressions shorter than this (default: ${DEFAULT-VALUE}).")
    int maxTokens;
  }

  static final class Tsv {
    @Option(names = "--train-tsv", required = true, description = "Training rows (LRA text or AAN retrieval TSV).")
    Path train;

    @Option(names = "--valid-tsv", required = true, description = "Validation rows.")
    Path valid;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    OptimizerSpec settingOptimizer = setting != null ? applySetting(TrainingSetting.load(setting)) : null;
    ModelSpec spec = overrides(ModelConfigs.load(model));
    int n = length != null ? length : spec.maxTokens();
    if (n < 1 || n > spec.maxTokens()) {
      throw new IllegalArgumentException("--length (" + n + ") must be in 1.." + spec.maxTokens() + " for this model");
    }
    int warm = warmup != null ? warmup : (int) Math.min(steps / 5, Integer.MAX_VALUE);
    boolean optimizerOptions = given("--lr") || given("--warmup") || given("--steps");
    OptimizerSpec optimizer = optimizerFile != null ? OptimizerSpec.parseJson(Files.readString(optimizerFile))
        : settingOptimizer != null && !optimizerOptions ? settingOptimizer
        : OptimizerSpec.authorsLra(warm, (int) steps).withLearningRate(learningRate);
    TrainConfig config = TrainConfig.builder().setBatchSize(batch).setLength(n).setSteps(steps).optSeed(seed).optEvalEvery(evalEvery).optEvalBatches(evalBatches).optCheckpointEvery(checkpointEvery).optKeepCheckpoints(keep).optEarlyStopPatience(earlyStop).build();
    BatchSource[] sources = sources(spec, n, o);
    o.printf("model %s: %s, %d layers x %d, %s attention (w=%d, r=%d), %d tokens%n", model, spec.task().jsonName(),
        spec.layers(), spec.width(), spec.attention().kind().jsonName(), spec.attention().window(),
        spec.attention().rank(), n);
    o.printf("data: %,d training batches per epoch, %,d validation batches of %d%n",
        sources[0].batchesPerEpoch(), sources[1].batchesPerEpoch(), batch);
    o.flush();
    if (cluster.given()) {
      return trainDistributed(spec, optimizer, config, sources[0], sources[1], o);
    }
    o.printf("precision: %s%n", bf16 ? "bfloat16 compute, float32 master weights" : "float32");
    try (Trainer<?> trainer = bf16 ? Trainer.bfloat16(spec, optimizer, config, run, xla)
        : new Trainer<>(spec, optimizer, config, TFloat32.class, run, xla)) {
      if (xla) {
        o.println(trainer.compiled() ? "training steps: one XLA-compiled call each"
            : "training steps: plain (--xla does not cover gradient accumulation)");
        o.flush();
      }
      Progress progress = new Progress(o, spec.task() == Task.LANGUAGE_MODEL);
      TrainingLoop.Result result = trainer.train(sources[0], sources[1], progress);
      progress.summary(result);
    }
    return 0;
  }

  /** The chief of a distributed run: worker 0's server in this process, the training loop driving all workers. */
  private int trainDistributed(ModelSpec spec, OptimizerSpec optimizer, TrainConfig config, BatchSource train,
      BatchSource valid, PrintWriter o) throws IOException {
    ClusterSpec c = cluster.spec();
    if (!c.isChief()) {
      throw new IllegalArgumentException("task " + c.index() + " is a worker: start it with `longshort worker` and"
          + " the same cluster options; `train` runs task 0, the chief");
    }
    if (bf16 || xla) {
      throw new IllegalArgumentException("distributed training runs float32 steps; leave out --bf16 and --xla");
    }
    WorkerServer.start(c);
    o.printf("distributed: %d workers %s, %d rows each per step; chief (worker 0) serving on %s%n", c.size(),
        c.workers(), config.batchSize() / Math.max(1, c.size()), c.address());
    o.printf("validation: every %d updates, on the chief's task (shards of %d rows)%n", config.evalEvery(),
        config.batchSize() / Math.max(1, c.size()));
    o.flush();
    WorkerReadiness.await(c, Math.multiplyExact(startTimeout, 1000L), line -> {
      o.println(line);
      o.flush();
    });
    try (DistributedTrainer trainer = new DistributedTrainer(spec, optimizer, config, c, run,
        Math.multiplyExact(stepTimeout, 1000L))) {
      Progress progress = new Progress(o, spec.task() == Task.LANGUAGE_MODEL);
      progress.summary(trainer.train(train, valid, progress));
    }
    return 0;
  }

  /** Takes the setting's values for every option not given on the command line; returns its optimizer. */
  private OptimizerSpec applySetting(TrainingSetting t) {
    if (!given("--model")) {
      model = t.model();
    }
    if (!given("--window") && t.window() != null) {
      window = t.window();
    }
    if (!given("--rank") && t.rank() != null) {
      rank = t.rank();
    }
    if (!given("--length")) {
      length = t.length();
    }
    if (!given("--batch")) {
      batch = t.batch();
    }
    if (!given("--steps")) {
      steps = t.steps();
    }
    if (!given("--lr")) {
      learningRate = t.optimizer().learningRate();
    }
    if (!given("--warmup") && !given("--steps")) {
      warmup = t.optimizer().warmupSteps();
    }
    return t.optimizer();
  }

  private boolean given(String option) {
    return command.commandLine().getParseResult().hasMatchedOption(option);
  }

  private ModelSpec overrides(ModelSpec spec) {
    if (attention == null && window == null && rank == null) {
      return spec;
    }
    AttentionSpec a = attention == null ? spec.attention()
        : spec.attention().withKind(io.longshort.spec.AttentionKind.fromJson(attention));
    if (a.kind().isLongShort() && (window != null || rank != null)) {
      a = a.toBuilder().setWindow(window != null ? window : a.window()).setRank(rank != null ? rank : a.rank()).build();
    }
    ModelSpec changed = spec.withAttention(a);
    if (changed.pooling() != spec.pooling()) {
      command.commandLine().getOut().printf("pooling %s needs long-short attention; %s attention uses cls pooling "
          + "(a CLS id in front of the tokens)%n", spec.pooling().jsonName(), a.kind().jsonName());
    }
    return changed;
  }

  /** Training and validation batches for the model's task. */
  private BatchSource[] sources(ModelSpec spec, int n, PrintWriter o) throws IOException {
    ExampleSource train;
    ExampleSource valid;
    if (spec.task() == Task.LANGUAGE_MODEL) {
      if (data == null || data.corpus == null) {
        throw new IllegalArgumentException("language models train on --corpus FILE");
      }
      train = DataSources.corpus(data.corpus, ByteCorpus.Split.TRAIN, n);
      valid = DataSources.corpus(data.corpus, ByteCorpus.Split.VALID, n);
    } else if (data != null && data.listOps != null) {
      ListOps l = data.listOps;
      if (l.generate != null && !Files.exists(l.dir.resolve(ListOpsTsv.TRAIN))) {
        o.printf("generating ListOps into %s: %,d training and %,d validation expressions...%n", l.dir,
            l.generate, Math.max(1, l.generate / 10));
        o.flush();
        ListOpsSplits.generate(l.dir, l.generate, Math.max(1, l.generate / 10), Math.max(1, l.generate / 10),
            l.minTokens, l.maxTokens, seed);
      }
      train = DataSources.tsv(spec, l.dir.resolve(ListOpsTsv.TRAIN), true, n, skipBadRows, o);
      valid = DataSources.tsv(spec, l.dir.resolve(ListOpsTsv.VALID), true, n, skipBadRows, o);
    } else if (data != null && data.tsv != null) {
      train = DataSources.tsv(spec, data.tsv.train, false, n, skipBadRows, o);
      valid = DataSources.tsv(spec, data.tsv.valid, false, n, skipBadRows, o);
    } else {
      throw new IllegalArgumentException("no data: give --listops DIR, --train-tsv/--valid-tsv, or --corpus FILE");
    }
    return new BatchSource[] {DataSources.training(spec, train, batch, n, seed),
        DataSources.evaluation(spec, valid, batch, n)};
  }
}
