package io.longshort.cli;

import io.longshort.data.BatchSource;
import io.longshort.data.ByteCorpus;
import io.longshort.data.ExampleSource;
import io.longshort.data.ListOpsGenerator;
import io.longshort.data.ListOpsSplits;
import io.longshort.data.ListOpsTsv;
import io.longshort.graph.core.Recomputation;
import io.longshort.io.ContentFingerprint;
import io.longshort.io.TextFiles;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelOverrides;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.SizeLimits;
import io.longshort.spec.Task;
import io.longshort.train.BestMetric;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.Progress;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingResult;
import io.longshort.train.TrainingSetting;
import io.longshort.train.distributed.ClusterSpec;
import io.longshort.train.distributed.DistributedTrainer;
import io.longshort.train.distributed.WorkerReadiness;
import io.longshort.train.distributed.WorkerServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        "Trains a model (--spec: a shipped config or a ModelSpec JSON) with AdamW and the authors' LRA schedule"
            + " (linear warm-up, linear decay), evaluating on the validation data, writing TensorBoard event"
            + " files and checkpoints into --run. A --run folder holding checkpoints resumes from the newest.",
        "Data: classifiers read --listops DIR (basic_train.tsv, basic_val.tsv; generated there first"
            + " with --generate) or --train-tsv/--valid-tsv (LRA text: label, text); retrieval models read"
            + " AAN TSV files; language models read --corpus FILE (enwik8 split 90M/5M/5M, or 90/5/5 %%).",
        "Distributed (--workers host:port,... --task 0, or --tf-config): this process is worker 0, the"
            + " chief; it starts worker 0's TensorFlow server and trains synchronously on every worker (each"
            + " started with `longshort worker` and the same cluster), --batch rows split evenly among them."})
final class TrainCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--config", paramLabel = "NAME|FILE", description = "A training setting (model, window, rank, "
      + "length, batch, steps, optimizer): lra_listops, lra_text, lra_retrieval (the paper's) or a JSON file. "
      + "Options given here win over its values.")
  String setting;

  @Option(names = "--spec", paramLabel = "NAME|FILE", defaultValue = "lra_listops",
      description = "The model: a shipped config name or a ModelSpec JSON file (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--attention", description = "Replace every layer's attention: long_short, full, linformer, "
      + "nystrom, performer, longformer, bigbird (for baselines with the same budget; causal variants for language models). Fields the kind "
      + "needs take the authors' LRA defaults (linformer rank 256, nystrom landmarks 128, performer 256 relu features, longformer window 16, bigbird blocks of 16 with 3 random) unless given below.")
  String attention;

  @Option(names = "--window", description = "Override the long-short window w.")
  Integer window;

  @Option(names = "--rank", description = "Override the long-short rank r (linformer: its projected length k).")
  Integer rank;

  @Option(names = "--dropout", description = "Override the model's dropout probability (every dropout site).")
  Double dropout;

  @Option(names = "--landmarks", description = "Override the nystrom landmarks m.")
  Integer landmarks;

  @Option(names = "--features", description = "Override the performer's number of random features.")
  Integer features;

  @Option(names = "--feature-map", description = "performer: relu (the authors' LRA kernel) or softmax (FAVOR+).")
  String featureMap;

  @Option(names = "--global-tokens", description = "longformer: leading positions that attend globally (default:"
      + " 1 when the model pools a CLS row in front, else 0).")
  Integer globalTokens;

  @Option(names = "--block-size", description = "bigbird: the block size (default 16).")
  Integer blockSize;

  @Option(names = "--random-blocks", description = "bigbird: random key blocks per query block (default 3).")
  Integer randomBlocks;

  @Option(names = "--conv-kernel", description = "linformer, nystrom: the depth-wise value convolution's size (odd; 0 = none).")
  Integer convKernel;

  @Mixin
  LengthOption length = LengthOption.derivedFrom("the --config setting's, else the model's maxLength, less one for"
      + " cls pooling");

  @Mixin
  BatchOption batch = BatchOption.derivedFrom("the --config setting's, else 32");

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

  @Option(names = "--recompute", arity = "0..1", fallbackValue = "blocks", paramLabel = "blocks|halves",
      description = "Gradient checkpointing (the authors' --attention_grad_checkpointing): keep only each block's"
      + " input and rebuild its activations in the backward pass (all but the last block's, which the backward"
      + " pass reads first); the same gradients in less memory and more time. halves: each block's attention half"
      + " and MLP half rebuilt from their own inputs, a lower peak for more time (bench/recompute). Not with --xla,"
      + " --bf16 or a cluster.")
  String recompute;

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Mixin
  RunOption run = RunOption.required();

  @Option(names = "--eval-every", defaultValue = "200", description = "Evaluate every N updates (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(names = "--eval-batches", defaultValue = "0", description = "Validation batches per evaluation, 0 = all (default: ${DEFAULT-VALUE}).")
  int evalBatches;

  @Option(names = "--checkpoint-every", defaultValue = "500", description = "Checkpoint every N updates (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--keep", defaultValue = "3", description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--early-stop", defaultValue = "0", description = "Stop after N evaluations without a better"
      + " --best-metric, 0 = never (default: ${DEFAULT-VALUE}).")
  int earlyStop;

  @Option(names = "--best-metric", paramLabel = "accuracy|loss", description = "The validation metric that picks the"
      + " best checkpoint (best.json): accuracy (highest; classifiers' default, as the authors keep their best dev"
      + " accuracy) or loss (lowest; language models' default).")
  String bestMetric;

  @Option(names = "--dry-run", description = "Print the resolved setting (model, length, batch, optimizer, best"
      + " checkpoint metric) and stop: no data is read and nothing is written.")
  boolean dryRun;

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

    @ArgGroup(exclusive = false)
    UserFiles files;
  }

  static final class UserFiles {
    @Option(names = "--train-file", required = true, description = "Training rows from your own file: JSON Lines"
        + " (.jsonl), CSV or TSV with a header (.csv, .tsv) or TFRecord of tf.Example (.tfrecord); streamed.")
    Path train;

    @Option(names = "--valid-file", required = true, description = "Validation rows, in one of the same forms.")
    Path valid;

    @Option(names = "--text-field", split = ",", paramLabel = "NAME", description = "The text field of"
        + " --train-file rows (retrieval: two, comma-separated; default: text).")
    java.util.List<String> textFields;

    @Option(names = "--label-field", defaultValue = "label", description = "The label field of --train-file rows"
        + " (default: ${DEFAULT-VALUE}).")
    String labelField;

    @Option(names = "--labels", split = ",", paramLabel = "NAME", description = "The label names in class-id order"
        + " (default: the training file's labels, sorted); stored in the run as labels.json.")
    java.util.List<String> labels;
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
    TrainingSetting t = setting != null ? TrainingSetting.load(setting) : null;
    OptimizerSpec settingOptimizer = t != null ? applySetting(t) : null;
    int batch = t != null && !this.batch.given(command) ? t.batch() : this.batch.orElse(32);
    checkOptions(batch);
    ModelOverrides asked = modelOverrides();
    ModelSpec spec = reportPooling(ModelConfigs.load(model), (t != null ? t.modelOverrides(asked) : asked));
    Integer length = t != null && !this.length.given(command) ? Integer.valueOf(t.length()) : this.length.valueOrNull();
    int n = length != null ? length : spec.maxTokens();
    if (n < 1 || n > spec.maxTokens()) {
      throw new IllegalArgumentException("--length (" + n + ") must be in 1.." + spec.maxTokens() + " for this model");
    }
    SizeLimits.checkBatch(spec, "--batch", batch, n);
    int warm = warmup != null ? warmup : (int) Math.min(steps / 5, Integer.MAX_VALUE);
    // --lr, --warmup, --steps change the setting's schedule; its other values (weight decay, eps) stay
    OptimizerSpec base = settingOptimizer != null ? settingOptimizer : OptimizerSpec.authorsLra(warm, (int) steps);
    OptimizerSpec optimizer = optimizerFile != null ? OptimizerSpec.parseJson(TextFiles.read(optimizerFile, "--optimizer"))
        : base.withSchedule(warm, (int) steps).withLearningRate(learningRate);
    BestMetric best = bestMetric != null ? BestMetric.fromJson("--best-metric", bestMetric)
        : BestMetric.defaultFor(spec.task() == Task.LANGUAGE_MODEL);
    TrainConfig config = TrainConfig.builder().setBatchSize(batch).setLength(n).setSteps(steps).optSeed(seed.value())
        .optEvalEvery(evalEvery).optEvalBatches(evalBatches).optCheckpointEvery(checkpointEvery)
        .optKeepCheckpoints(keep).optEarlyStopPatience(earlyStop).optBestMetric(best).optRecompute(recomputeSegments())
        .build();
    o.printf("model %s: %s, %d layers x %d, %s attention (%s), %d tokens, dropout %s%n", model,
        spec.task().jsonName(), spec.layers(), spec.width(), spec.attention().kind().jsonName(),
        attentionSummary(spec.attention()), n, spec.dropout());
    o.printf(java.util.Locale.ROOT, "optimizer: %s lr %s, weight decay %s, eps %s, %s schedule, warm-up %d of %d"
        + " updates, batch %d; best checkpoint by %s%n", optimizer.type().jsonName(), optimizer.learningRate(),
        optimizer.weightDecay(), optimizer.epsilon(), optimizer.schedule().jsonName(), optimizer.warmupSteps(),
        optimizer.totalSteps(), batch, best.tag());
    o.flush();
    if (dryRun) {
      return 0;
    }
    BatchSource[] sources = sources(spec, n, batch, o);
    // after sources(): --generate may have written the files
    config = config.toBuilder().optDataFingerprint(ContentFingerprint.of(dataFiles(spec))).build();
    o.printf("data: %,d training batches per epoch, %,d validation batches of %d%n",
        sources[0].batchesPerEpoch(), sources[1].batchesPerEpoch(), batch);
    o.flush();
    if (cluster.given()) {
      return trainDistributed(spec, optimizer, config, sources[0], sources[1], o);
    }
    o.printf("precision: %s%n", bf16 ? "bfloat16 compute, float32 master weights" : "float32");
    try (Trainer<?> trainer = bf16 ? Trainer.bfloat16(spec, optimizer, config, run.value(), xla)
        : new Trainer<>(spec, optimizer, config, TFloat32.class, run.value(), xla)) {
      if (xla) {
        o.println(trainer.compiled() ? "training steps: one XLA-compiled call each"
            : "training steps: plain (--xla does not cover gradient accumulation)");
        o.flush();
      }
      Progress progress = new Progress(o, spec.task() == Task.LANGUAGE_MODEL);
      TrainingResult result = trainer.train(sources[0], sources[1], progress);
      progress.summary(result);
    }
    return 0;
  }

  /** Bad values named by the option the user typed, before they reach the training configuration. */
  private void checkOptions(int batch) {
    OptionChecks.atLeast("--batch", batch, 1);
    OptionChecks.inRange("--steps", steps, 1, Integer.MAX_VALUE);
    if (warmup != null) {
      OptionChecks.inRange("--warmup", warmup, 0, steps - 1);
    }
    if (optimizerFile == null) {
      OptionChecks.learningRate("--lr", learningRate);
    }
    if (window != null) {
      OptionChecks.atLeast("--window", window, 0);
    }
    if (rank != null) {
      OptionChecks.atLeast("--rank", rank, 0);
    }
    OptionChecks.atLeast("--eval-every", evalEvery, 1);
    OptionChecks.atLeast("--eval-batches", evalBatches, 0);
    OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 1);
    OptionChecks.atLeast("--keep", keep, 1);
    OptionChecks.atLeast("--early-stop", earlyStop, 0);
    OptionChecks.atLeast("--step-timeout", stepTimeout, 1);
    OptionChecks.atLeast("--start-timeout", startTimeout, 1);
    if (recompute != null) {
      OptionChecks.require(recompute.equals("blocks") || recompute.equals("halves"), "--recompute", recompute,
          "must be blocks or halves");
      // one message per option that does not combine: named, with what is allowed
      OptionChecks.require(!xla, "--recompute", "with --xla", "is not supported: the compiled step would rebuild"
          + " each block inside its function; leave out one of them");
      OptionChecks.require(!bf16, "--recompute", "with --bf16", "is not supported: recomputation takes float32"
          + " training; leave out one of them");
      OptionChecks.require(!cluster.given(), "--recompute", "with a cluster", "is not supported: distributed steps"
          + " keep their activations; leave out one of them");
    }
    if (data != null && data.listOps != null && data.listOps.generate != null) {
      OptionChecks.atLeast("--generate", data.listOps.generate, 1);
    }
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
    command.commandLine().getErr().println(WorkerServer.exposureWarning(c));
    command.commandLine().getErr().flush();
    o.printf("validation: every %d updates, on the chief's task (shards of %d rows)%n", config.evalEvery(),
        config.batchSize() / Math.max(1, c.size()));
    o.flush();
    WorkerReadiness.await(c, Math.multiplyExact(startTimeout, 1000L), line -> {
      o.println(line);
      o.flush();
    });
    try (DistributedTrainer trainer = new DistributedTrainer(spec, optimizer, config, c, run.value(),
        Math.multiplyExact(stepTimeout, 1000L))) {
      Progress progress = new Progress(o, spec.task() == Task.LANGUAGE_MODEL);
      progress.summary(trainer.train(train, valid, progress));
    }
    return 0;
  }

  /** The fields that set the attention kind apart: "w=16, r=2", "rank=256", "landmarks=128, conv=35", "". */
  static String attentionSummary(AttentionSpec a) {
    // each kind's record has exactly its fields (Java 17: instanceof patterns, no switch patterns yet)
    if (a instanceof AttentionSpec.LongShort l) {
      return "w=" + l.window() + ", r=" + l.rank();
    } else if (a instanceof AttentionSpec.CausalLongShort c) {
      return "w=" + c.window() + ", l=" + c.segment() + ", r=" + c.rank();
    } else if (a instanceof AttentionSpec.Linformer l) {
      return "rank=" + l.rank() + (l.convKernel() > 0 ? ", conv=" + l.convKernel() : "");
    } else if (a instanceof AttentionSpec.Nystrom n) {
      return "landmarks=" + n.landmarks() + (n.convKernel() > 0 ? ", conv=" + n.convKernel() : "");
    } else if (a instanceof AttentionSpec.Performer p) {
      return "features=" + p.features() + ", " + p.featureMap().jsonName();
    } else if (a instanceof AttentionSpec.Longformer l) {
      return "window=" + l.window() + ", global=" + l.globalTokens();
    } else if (a instanceof AttentionSpec.BigBird b) {
      return "block=" + b.blockSize() + ", random=" + b.randomBlocks();
    }
    return "all keys"; // Full, CausalFull
  }

  /**
   * Takes the setting's model, steps and schedule for the options not given on the command line;
   * returns its optimizer. Its batch and length are taken where they are used, its dropout, window
   * and rank by {@link TrainingSetting#modelOverrides}.
   */
  private OptimizerSpec applySetting(TrainingSetting t) {
    if (!given("--spec")) {
      model = t.model();
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

  /** The model surgery the options ask for. */
  private ModelOverrides modelOverrides() {
    return ModelOverrides.builder().optDropout(dropout)
        .optAttention(attention == null ? null : io.longshort.spec.AttentionKind.fromJson(attention))
        .optWindow(window).optRank(rank).optLandmarks(landmarks).optConvKernel(convKernel).optFeatures(features)
        .optFeatureMap(featureMap == null ? null : io.longshort.spec.FeatureMap.fromJson(featureMap))
        .optGlobalTokens(globalTokens).optBlockSize(blockSize).optRandomBlocks(randomBlocks).build();
  }

  /** {@code overrides} applied to {@code spec}, saying so when the new attention changes the pooling. */
  private ModelSpec reportPooling(ModelSpec spec, ModelOverrides overrides) {
    ModelSpec changed = overrides.applyTo(spec);
    if (changed.pooling() != spec.pooling()) {
      command.commandLine().getOut().printf("pooling %s needs long-short attention; %s attention uses cls pooling "
          + "(a CLS id in front of the tokens)%n", spec.pooling().jsonName(), changed.attention().kind().jsonName());
    }
    return changed;
  }

  /** The files the run trains and validates on, in that order: what its data fingerprint covers. */
  private List<Path> dataFiles(ModelSpec spec) {
    if (spec.task() == Task.LANGUAGE_MODEL) {
      return List.of(data.corpus);
    }
    if (data.listOps != null) {
      return List.of(data.listOps.dir.resolve(ListOpsTsv.TRAIN), data.listOps.dir.resolve(ListOpsTsv.VALID));
    }
    if (data.files != null) {
      return List.of(data.files.train, data.files.valid);
    }
    return List.of(data.tsv.train, data.tsv.valid);
  }

  /** Training and validation batches for the model's task. */
  private BatchSource[] sources(ModelSpec spec, int n, int batch, PrintWriter o) throws IOException {
    ExampleSource train;
    ExampleSource valid;
    if (spec.task() == Task.LANGUAGE_MODEL) {
      if (data == null || data.corpus == null) {
        throw new IllegalArgumentException("language models train on --corpus FILE");
      }
      train = DataSources.corpus(data.corpus, ByteCorpus.Split.TRAIN, n, batch);
      valid = DataSources.corpus(data.corpus, ByteCorpus.Split.VALID, n, 1);
    } else if (data != null && data.listOps != null) {
      ListOps l = data.listOps;
      if (l.generate != null && !Files.exists(l.dir.resolve(ListOpsTsv.TRAIN))) {
        o.printf("generating ListOps into %s: %,d training and %,d validation expressions...%n", l.dir,
            l.generate, Math.max(1, l.generate / 10));
        o.flush();
        ListOpsSplits.generate(l.dir, l.generate, Math.max(1, l.generate / 10), Math.max(1, l.generate / 10),
            l.minTokens, l.maxTokens, seed.value());
      }
      train = DataSources.tsv(spec, l.dir.resolve(ListOpsTsv.TRAIN), true, n, skipBadRows, o);
      valid = DataSources.tsv(spec, l.dir.resolve(ListOpsTsv.VALID), true, n, skipBadRows, o);
    } else if (data != null && data.tsv != null) {
      train = DataSources.tsv(spec, data.tsv.train, false, n, skipBadRows, o);
      valid = DataSources.tsv(spec, data.tsv.valid, false, n, skipBadRows, o);
    } else if (data != null && data.files != null) {
      UserFiles f = data.files;
      DataSources.UserData user = DataSources.userFiles(spec, f.train, f.valid, f.textFields, f.labelField,
          f.labels, n, o);
      io.longshort.train.RunLabels.write(run.value(), f.labelField, user.labels());
      train = user.train();
      valid = user.valid();
    } else {
      throw new IllegalArgumentException("no data: give --listops DIR, --train-tsv/--valid-tsv, --train-file/--valid-file"
          + " or --corpus FILE");
    }
    BatchSource training = DataSources.training(spec, train, batch, n, seed.value());
    if (training.batchesPerEpoch() == 0) {
      // full batches only: fewer examples than --batch would make an epoch of no steps
      throw new IllegalArgumentException("--batch (" + batch + ") is larger than the training data: " + train.size()
          + " examples make no full batch");
    }
    return new BatchSource[] {training, DataSources.evaluation(spec, valid, batch, n)};
  }

  /** --recompute's segments, or null without it. */
  private Recomputation.Segments recomputeSegments() {
    return recompute == null ? null : recompute.equals("halves") ? Recomputation.Segments.HALVES
        : Recomputation.Segments.BLOCKS;
  }
}
