package io.longshort.cli;

import io.longshort.data.ByteCorpus;
import io.longshort.train.TrainingLoop;
import io.longshort.data.ExampleSource;
import io.longshort.data.ListOpsTsv;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.RunFolder;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainConfig;
import io.longshort.train.Trainer;
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
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Evaluates a checkpoint of a run (the newest unless --checkpoint names another). */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluates a checkpoint of a training run folder (--checkpoint) on a data split: loss, accuracy",
        "and (language models) bits per character. The model and batch shape come from the checkpoint."})
final class EvalCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--run", required = true, description = "The run folder (holding checkpoints/).")
  Path run;

  @Option(names = "--checkpoint", defaultValue = "latest", paramLabel = "best|latest|STEP|FILE",
      description = "Which checkpoint of --run: best (best.json's), latest, a step number or a file (default: ${DEFAULT-VALUE}).")
  String checkpointName;

  @Option(names = "--split", defaultValue = "test", description = "valid or test (default: ${DEFAULT-VALUE}).")
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
      description = "With --sliding-stride: evaluate the first this many bytes of the split, 0 = all (default: ${DEFAULT-VALUE}).")
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
    boolean test = switch (split.toLowerCase(Locale.ROOT)) {
      case "test" -> true;
      case "valid" -> false;
      default -> throw new IllegalArgumentException("--split (" + split + ") must be valid or test");
    };
    Path checkpoint = RunFolder.resolveCheckpoint(run, checkpointName);
    Map<String, String> meta;
    try (Safetensors st = Safetensors.open(checkpoint)) {
      meta = st.metadata();
    }
    ModelSpec spec = ModelSpec.parseJson(meta.get("model"));
    OptimizerSpec optimizer = OptimizerSpec.parseJson(meta.get("optimizer"));
    int batch = Integer.parseInt(meta.get("batchSize"));
    int length = Integer.parseInt(meta.get("length"));
    if (slidingStride != null) {
      if (data.corpus == null || spec.task() != Task.LANGUAGE_MODEL) {
        throw new IllegalArgumentException("--sliding-stride evaluates language models on a --corpus");
      }
      int n = context != null ? context : spec.maxLength();
      try (io.longshort.graph.model.ModelGraph<TFloat32> g = io.longshort.graph.model.ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(n).optSeed(0).build();
          Safetensors st = Safetensors.open(checkpoint);
          ByteCorpus corpus = ByteCorpus.open(data.corpus)) {
        io.longshort.weights.WeightLoader.load(g.session(), g.parameters(), st);
        io.longshort.train.SlidingWindowEval.Result r = io.longshort.train.SlidingWindowEval.evaluate(g, corpus,
            test ? ByteCorpus.Split.TEST : ByteCorpus.Split.VALID, slidingStride, maxBytes, 4);
        o.printf("%s on %s: bits/char %.4f  (%,d bytes predicted, context %d, stride %d, %,d windows)%n",
            checkpoint.getFileName(), test ? "test" : "valid", r.bitsPerCharacter(), r.scored(), r.context(),
            r.stride(), r.windows());
      }
      o.flush();
      return 0;
    }
    TrainConfig config = TrainConfig.builder().setBatchSize(batch).setLength(length).setSteps(1).optSeed(Long.parseLong(meta.get("seed"))).optEvalEvery(1).optEvalBatches(0).optCheckpointEvery(1).optKeepCheckpoints(1).optEarlyStopPatience(0).build();
    ExampleSource examples;
    if (data.corpus != null) {
      examples = DataSources.corpus(data.corpus, test ? ByteCorpus.Split.TEST : ByteCorpus.Split.VALID, length);
    } else if (data.listOps != null) {
      examples = DataSources.tsv(spec, data.listOps.resolve(test ? ListOpsTsv.TEST : ListOpsTsv.VALID), true, length,
          skipBadRows, o);
    } else {
      examples = DataSources.tsv(spec, data.tsv, false, length, skipBadRows, o);
    }
    try (Trainer<TFloat32> trainer = new Trainer<>(spec, optimizer, config, TFloat32.class, run)) {
      trainer.restore(checkpoint);
      TrainingLoop.Metrics m = trainer.evaluate(DataSources.evaluation(spec, examples, batch, length), 0);
      o.printf("%s at step %d on %s: loss %.4f  accuracy %.4f%s  (%,d rows)%n", checkpoint.getFileName(),
          trainer.step(), test ? "test" : "valid", m.loss(), m.accuracy(),
          spec.task() == Task.LANGUAGE_MODEL ? String.format("  bits/char %.4f", m.bitsPerCharacter()) : "", m.rows());
    }
    o.flush();
    return 0;
  }
}
