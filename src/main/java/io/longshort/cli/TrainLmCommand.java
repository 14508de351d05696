package io.longshort.cli;

import io.longshort.data.BpttStreams;
import io.longshort.data.ByteCorpus;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.Checkpoints;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.StreamingEval;
import io.longshort.train.TransformerLsSetting;
import io.longshort.io.ContentFingerprint;
import io.longshort.train.TruncatedBpttTrainer;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train-lm}: the authors' LM trained by truncated BPTT ({@link TruncatedBpttTrainer}, the
 * one training loop with a step that keeps a cache per batch row and reads the corpus as lanes of
 * consecutive blocks). A command of its own beside {@code train}: its options (block, cache length,
 * phase) mean nothing to the other models. Its resume check names the options that differ; the
 * run folder checks the same fields again when it restores the checkpoint.
 */
@Command(name = "train-lm", mixinStandardHelpOptions = true,
    description = {
        "Trains the authors' language model (Transformer-LS with its long-context cache) by truncated BPTT, as"
            + " fairseq's truncated_bptt_lm task: the corpus is cut into --batch lanes, each update reads the next"
            + " block of every lane and the cache the previous block left, with no gradient through it. The"
            + " setting (--lm, one of the paper's or a JSON file) gives the model, block, cache length, batch,"
            + " dropout and optimizer of its --phase; the options below override them.",
        "Writes TensorBoard event files and checkpoints (weights, optimizer state, the cache and the data"
            + " position) into --run; a --run folder holding checkpoints resumes from the newest, with the options"
            + " it was started with, and ends where an uninterrupted run does. `eval --block M --run DIR` scores"
            + " its checkpoints."})
final class TrainLmCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--lm", paramLabel = "NAME|FILE", defaultValue = "transformer_ls_enwik8_base",
      description = "The setting: transformer_ls_enwik8_base, transformer_ls_enwik8_large, transformer_ls_text8_base"
          + " or a TransformerLsSetting JSON file (default: ${DEFAULT-VALUE}).")
  String lm;

  @Option(names = "--phase", defaultValue = "1",
      description = "The setting's training phase, from 1 (default: ${DEFAULT-VALUE}); a later phase starts from the"
          + " previous phase's weights with --init-from, as the authors' --finetune-from-model.")
  int phase;

  @Option(names = "--init-from", paramLabel = "FILE",
      description = "Start a new run from these weights (a train-lm checkpoint or safetensors of the authors'"
          + " state_dict): fresh optimizer, schedule, cache and step count. Ignored when --run resumes.")
  Path initFrom;

  @Option(names = "--corpus", required = true, description = "A byte corpus (e.g. enwik8).")
  Path corpus;

  @Option(names = "--split", defaultValue = "train",
      description = "train (the corpus's first 90M bytes, or 90 %% of it) or all (default: ${DEFAULT-VALUE}).")
  String split;

  @Mixin
  RunOption run = RunOption.required();

  @Option(names = "--block", paramLabel = "M", description = "Tokens per block (default: the phase's).")
  Integer block;

  @Option(names = "--mem-len", paramLabel = "L", description = "The cache length (default: the phase's).")
  Integer memLen;

  // the lanes: the corpus is cut into --batch rows, as the command's description says
  @Mixin
  BatchOption batch = BatchOption.derivedFrom("the phase's global batch, per GPU x GPUs x update_freq");

  @Option(names = "--accumulate", paramLabel = "K",
      description = "Lane groups per update: the --batch lanes run in K groups of B/K, each adding up its gradients"
          + " before one update (the update of B lanes in 1/K of the activation memory; default: 1).")
  Integer accumulate;

  @Option(names = "--steps", description = "Updates (default: the phase's).")
  Long steps;

  @Option(names = "--lr", description = "The learning rate after warm-up (default: the phase's).")
  Double lr;

  @Option(names = "--warmup", description = "Warm-up updates (default: the phase's).")
  Integer warmup;

  @Option(names = "--dropout", description = "Every dropout probability (default: the phase's).")
  Double dropout;

  @Mixin
  SeedOption seed = SeedOption.derivedFrom("the setting's");

  @Option(names = "--zero-cache",
      description = "Feed a zero cache to every block: the same model with no memory beyond the current block (a control).")
  boolean zeroCache;

  @Option(names = "--recompute", description = "Gradient checkpointing (the authors' grad_chk): keep only each"
      + " layer's input and rebuild its activations in the backward pass (all but the last layer's, which the"
      + " backward pass reads first); the same gradients in less memory and more time. A run may resume with or"
      + " without it.")
  boolean recompute;

  @Option(names = "--checkpoint-every", defaultValue = "500", description = "Checkpoint every N updates (default: ${DEFAULT-VALUE}).")
  long checkpointEvery;

  @Option(names = "--keep", defaultValue = "3", description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--log-every", defaultValue = "50", description = "Print the mean loss every N updates (default: ${DEFAULT-VALUE}).")
  long logEvery;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    TransformerLsSetting setting = TransformerLsSetting.load(lm);
    if (phase < 1 || phase > setting.phases().size()) {
      throw new IllegalArgumentException("--phase (" + phase + ") must be in [1, " + setting.phases().size() + "]: "
          + setting.name() + " has " + setting.phases().size() + " phase(s)");
    }
    TransformerLsSetting.Phase p = setting.phases().get(phase - 1);
    TransformerLsSpec.Builder model = setting.model(phase - 1).toBuilder();
    int m = block != null ? block : p.block();
    OptionChecks.atLeast("--block", m, 1);
    if (memLen != null) {
      model.setMemLen(memLen);
    }
    if (dropout != null) {
      OptionChecks.require(dropout >= 0 && dropout < 1, "--dropout", dropout, "must be in [0, 1)");
      model.optDropout(dropout).optEmbDropout(dropout);
    }
    TransformerLsSpec spec = model.build();
    spec.paddedBlock(m); // a block the authors' forward refuses fails here, saying what it accepts
    int lanes = batch.orElse(p.globalBatch(setting.gpus()));
    OptionChecks.atLeast("--batch", lanes, 1);
    long updates = steps != null ? steps : p.updates();
    OptionChecks.atLeast("--steps", updates, 1);
    OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 1);
    OptionChecks.atLeast("--keep", keep, 1);
    OptionChecks.atLeast("--log-every", logEvery, 1);
    if (updates > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--steps (" + updates + ") must be at most " + Integer.MAX_VALUE);
    }
    OptimizerSpec q = p.optimizer();
    double rate = lr != null ? lr : q.learningRate();
    OptionChecks.learningRate("--lr", rate);
    int warm = warmup != null ? warmup : q.warmupSteps();
    OptionChecks.atLeast("--warmup", warm, 0);
    int groups = accumulate != null ? accumulate : q.accumulationSteps();
    OptionChecks.atLeast("--accumulate", groups, 1);
    OptionChecks.require(lanes % groups == 0, "--accumulate", groups, "must divide --batch (" + lanes + " lanes)");
    OptimizerSpec optimizer = q.toBuilder().setLearningRate(rate).optWarmup(warm).optTotalSteps((int) updates)
        .optAccumulationSteps(groups).build();
    long runSeed = seed.orElse(setting.seed());
    Path checkpoints = run.value().resolve(io.longshort.train.RunFolder.CHECKPOINTS);
    checkResume(checkpoints, spec, optimizer, lanes, m, runSeed);
    try (ByteCorpus bytes = ByteCorpus.open(corpus)) {
      ByteCorpus.Range range = switch (split.toLowerCase(Locale.ROOT)) {
        case "train" -> bytes.range(ByteCorpus.Split.TRAIN);
        case "all" -> new ByteCorpus.Range(0, bytes.size());
        default -> throw new IllegalArgumentException("--split (" + split + ") must be train or all");
      };
      BpttStreams data = new BpttStreams(bytes, range, lanes, m, StreamingEval.byteIds());
      // the run folder writes the checkpoints and the TensorBoard events (loss, learning rate, ...)
      try (TruncatedBpttTrainer<TFloat32> trainer = new TruncatedBpttTrainer<>(spec, optimizer, data, lanes, m,
          TFloat32.class, runSeed, run.value(), ContentFingerprint.of(corpus), recompute)) {
        trainer.cacheZeroed(zeroCache);
        if (initFrom != null && trainer.step() == 0) {
          try (Safetensors st = Safetensors.open(initFrom)) {
            String prefix = st.contains("in_emb.weight") ? "" : StreamingEvalCommand.FAIRSEQ_PREFIX;
            io.longshort.weights.WeightLoader.load(trainer.model().session(), trainer.model().parameters(), st, "",
                prefix).warnings().forEach(o::println);
          }
          o.println("weights from " + initFrom);
        }
        o.printf("%s phase %d: %d layers, d %d, blocks of %d, cache %d%s, %d lanes (%,d blocks each per epoch),"
            + " lr %g, %d updates%s%s%n", setting.name(), phase, spec.layers(), spec.width(), m, spec.memLen(),
            zeroCache ? " (zeroed)" : "", lanes, data.blocksPerEpoch(), rate, updates,
            recompute ? ", layers recomputed in the backward pass" : "",
            trainer.step() > 0 ? ", resumed at step " + trainer.step() : "");
        o.flush();
        double[] sum = {0};
        long[] count = {0};
        trainer.train(updates, checkpointEvery, keep, (step, loss) -> {
          sum[0] += loss;
          count[0]++;
          if (step % logEvery == 0 || step == updates) {
            double mean = sum[0] / count[0];
            o.printf(Locale.ROOT, "step %d  loss %.4f  bits/char %.4f%n", step, mean, mean / Math.log(2));
            o.flush();
            sum[0] = 0;
            count[0] = 0;
          }
        });
        o.printf("done: %d updates; checkpoints in %s%n", trainer.step(), checkpoints);
        o.flush();
      }
    }
    return 0;
  }

  /** A resumed run must keep the model, optimizer, lanes, block and seed its checkpoints were made with. */
  private static void checkResume(Path checkpoints, TransformerLsSpec spec, OptimizerSpec optimizer, int lanes,
      int block, long seed) throws IOException {
    // the checkpoint the run folder resumes from: the newest whose checksums hold (it names the damaged ones)
    Optional<Path> latest = java.nio.file.Files.isDirectory(checkpoints) ? Checkpoints.newestIntact(checkpoints, n -> {})
        : Optional.empty();
    if (latest.isEmpty()) {
      return;
    }
    Map<String, String> meta;
    try (Safetensors st = Safetensors.open(latest.get())) {
      meta = st.metadata();
    }
    if (!meta.containsKey("model") || !meta.containsKey("lanes")) {
      throw new IllegalArgumentException("--run (" + checkpoints.getParent() + ") holds checkpoints of another"
          + " command (no truncated-BPTT lanes in " + latest.get().getFileName() + "): give a new --run");
    }
    compare("the model (--lm, --mem-len, --dropout)", TransformerLsSpec.parseJson(meta.get("model")), spec);
    OptimizerSpec before = OptimizerSpec.parseJson(meta.get("optimizer"));
    if (before.schedule() == OptimizerSpec.Schedule.CONSTANT && optimizer.schedule() == OptimizerSpec.Schedule.CONSTANT) {
      // a fixed lr after warm-up does not depend on the run's length: --steps may grow, as fairseq's --max-update
      before = withTotalSteps(before, optimizer.totalSteps());
    }
    compare("the optimizer (--lr, --warmup, --accumulate"
        + (before.schedule() == OptimizerSpec.Schedule.CONSTANT ? "" : ", --steps") + ")", before, optimizer);
    compare("--batch", meta.get("lanes"), Integer.toString(lanes));
    compare("--block", meta.get("block"), Integer.toString(block));
    compare("--seed", meta.get("seed"), Long.toString(seed));
  }

  private static OptimizerSpec withTotalSteps(OptimizerSpec q, int totalSteps) {
    return q.toBuilder().optTotalSteps(totalSteps).build();
  }

  private static void compare(String what, Object before, Object now) {
    if (!before.equals(now)) {
      throw new IllegalArgumentException("--run resumes a run started with another " + what + ": it was " + before
          + ", now " + now + "; give the run's options or a new --run");
    }
  }
}
