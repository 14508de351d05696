package io.longshort.cli;

import io.longshort.data.ByteCorpus;
import io.longshort.data.ExampleSource;
import io.longshort.data.ListOpsTsv;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.Checkpoints;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingLoop;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Evaluates a checkpoint of a run. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluates a checkpoint of a training run folder (--run, with --checkpoint best, latest or a step;"
        + " default latest) on a data split: loss, accuracy and (language models) bits per character. The model and"
        + " batch shape come from the checkpoint.")
final class EvalCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  ModelSourceOptions model;

  @Option(names = "--block", paramLabel = "M",
      description = "The authors' LM (--lm, --weights, or a train-lm --run): score the split block by block through the cache, as"
          + " fairseq-eval-lm --tokens-per-sample M; every byte after the first predicted once.")
  Integer block;

  @Option(names = "--mem-len", paramLabel = "L", description = "With --block: the cache length (default: the model's).")
  Integer memLen;

  @Option(names = "--lm", description = "With --block: a TransformerLsSpec JSON file or a shipped LM setting.")
  String lm;

  @Option(names = "--weights", paramLabel = "FILE", description = "With --block: safetensors of the authors' state_dict"
      + " (scripts/fairseq_to_safetensors.py converts a fairseq checkpoint).")
  Path weights;

  @Option(names = "--dict", description = "With --block: the fairseq dict.txt of an imported checkpoint (bytes map"
      + " through it); without it token ids are bytes.")
  Path dict;

  @Option(names = "--split", defaultValue = "test",
      description = "valid or test (default: ${DEFAULT-VALUE}); with --block also all (the whole file).")
  String split;

  @Option(names = "--skip-bad-rows", description = "Skip malformed data rows (and count them) instead of failing.")
  boolean skipBadRows;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Data data;

  @Option(names = "--sliding-stride", paramLabel = "S",
      description = "Language models: bits/char with a sliding window moved by S bytes; each byte is predicted once,"
          + " with at least --context - S bytes of context (after the first window).")
  Integer slidingStride;

  @Option(names = "--context", paramLabel = "N",
      description = "With --sliding-stride: the window length (default: the model's maxLength).")
  Integer context;

  @Option(names = "--max-bytes", defaultValue = "0",
      description = "With --sliding-stride or --block: evaluate the first this many bytes of the split, 0 = all (default: ${DEFAULT-VALUE}).")
  long maxBytes;

  static final class Data {
    @Option(names = "--listops", description = "Folder with basic_val.tsv / basic_test.tsv.")
    Path listOps;

    @Option(names = "--tsv", description = "An LRA text or AAN retrieval TSV file.")
    Path tsv;

    @Option(names = "--corpus", description = "A byte corpus (language models).")
    Path corpus;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    if (block != null) {
      if (data.corpus == null) {
        throw new IllegalArgumentException("--block scores a --corpus");
      }
      return StreamingEvalCommand.run(o, lm, weights, model.run.value(), model.checkpoint, data.corpus,
          split.toLowerCase(Locale.ROOT), block, memLen, dict, maxBytes, System.console() != null);
    }
    boolean test = switch (split.toLowerCase(Locale.ROOT)) {
      case "test" -> true;
      case "valid" -> false;
      default -> throw new IllegalArgumentException("--split (" + split + ") must be valid or test");
    };
    if (model.kind() != ModelSourceOptions.Kind.RUN) {
      // the batch shape, seed and optimizer of the evaluation graph come from a run's checkpoint metadata
      throw new IllegalArgumentException("eval evaluates a training run's checkpoint: give --run DIR (and"
          + " --checkpoint best|latest|STEP)");
    }
    ModelSourceOptions.Resolved source = model.resolve();
    Path checkpoint = source.weights();
    Map<String, String> meta = source.metadata();
    Path run = model.run.value();
    ModelSpec spec = ModelSpec.parseJson(meta.get("model"));
    OptimizerSpec optimizer = OptimizerSpec.parseJson(meta.get("optimizer"));
    int batch = Integer.parseInt(meta.get("batchSize"));
    int length = Integer.parseInt(meta.get("length"));
    if (slidingStride != null) {
      if (data.corpus == null || spec.task() != Task.LANGUAGE_MODEL) {
        throw new IllegalArgumentException("--sliding-stride evaluates language models on a --corpus");
      }
      int n = context != null ? context : spec.maxLength();
      try (io.longshort.graph.model.ModelGraph<TFloat32> g = io.longshort.graph.model.ModelGraph.builder(spec)
              .setDtype(TFloat32.class).setBatch(-1).setLength(n).optSeed(0).build();
          ByteCorpus corpus = ByteCorpus.open(data.corpus)) {
        source.loadWeights(g);
        io.longshort.train.SlidingWindowEval.Result r = io.longshort.train.SlidingWindowEval.evaluate(g, corpus,
            test ? ByteCorpus.Split.TEST : ByteCorpus.Split.VALID, slidingStride, maxBytes, 4);
        o.printf("%s on %s: bits/char %.4f  (%,d bytes predicted, context %d, stride %d, %,d windows)%n",
            checkpoint.getFileName(), test ? "test" : "valid", r.bitsPerCharacter(), r.scored(), r.context(),
            r.stride(), r.windows());
      }
      o.flush();
      return 0;
    }
    TrainConfig config = TrainConfig.builder().setBatchSize(batch).setLength(length).setSteps(1)
        .optSeed(Long.parseLong(meta.get("seed"))).optEvalEvery(1).optEvalBatches(0).optCheckpointEvery(1)
        .optKeepCheckpoints(1).optEarlyStopPatience(0).build();
    ExampleSource examples;
    if (data.corpus != null) {
      examples = DataSources.corpus(data.corpus, test ? ByteCorpus.Split.TEST : ByteCorpus.Split.VALID, length, 1);
    } else if (data.listOps != null) {
      examples = DataSources.tsv(spec, data.listOps.resolve(test ? ListOpsTsv.TEST : ListOpsTsv.VALID), true, length,
          skipBadRows, o);
    } else {
      examples = DataSources.tsv(spec, data.tsv, false, length, skipBadRows, o);
    }
    try (Trainer<TFloat32> trainer = new Trainer<>(spec, optimizer, config, TFloat32.class, run)) {
      source.loadWeights(trainer.graph()); // the trainer restored the newest; --checkpoint may name another
      TrainingLoop.Metrics m = trainer.evaluate(DataSources.evaluation(spec, examples, batch, length), 0);
      o.printf("%s at step %d on %s: loss %.4f  accuracy %.4f%s  (%,d rows)%n", checkpoint.getFileName(),
          Checkpoints.step(checkpoint), test ? "test" : "valid", m.loss(), m.accuracy(),
          spec.task() == Task.LANGUAGE_MODEL ? String.format("  bits/char %.4f", m.bitsPerCharacter()) : "", m.rows());
    }
    o.flush();
    return 0;
  }
}
