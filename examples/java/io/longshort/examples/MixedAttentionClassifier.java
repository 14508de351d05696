package io.longshort.examples;

import io.longshort.data.BatchKind;
import io.longshort.data.BatchSource;
import io.longshort.data.Batcher;
import io.longshort.data.Example;
import io.longshort.data.ExampleList;
import io.longshort.export.ServingExport;
import io.longshort.graph.attention.TransformerBlock;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.Embeddings;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.model.ComposedModel;
import io.longshort.io.HostArray;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.Positions;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import io.longshort.train.RunFolder;
import io.longshort.train.TrainConfig;
import io.longshort.train.TrainingListener;
import io.longshort.train.TrainingLoop;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A model a user composes in Java with the DSL, trained, resumed and served like a shipped one.
 *
 * <p>The model: token and position embeddings, one long-short attention block (window 8, rank 4),
 * one full-attention block, a final LayerNorm, a masked mean over the tokens and a head of our own
 * (Linear, tanh, Linear) to two classes. The task, generated: is token 3 more frequent than token
 * 4 in a sequence of 12 to 32 tokens? The program trains it with the framework's loop (AdamW,
 * checkpoints and TensorBoard events in {@code --run}, resuming from the newest checkpoint when
 * the folder holds one), then exports the best checkpoint as a versioned SavedModel with TF
 * Serving's files (warm-up request, models.config) under {@code --export}.
 *
 * <pre>
 * java -cp ... io.longshort.examples.MixedAttentionClassifier --run runs/mixed --export savedmodels --steps 300
 * python3 scripts/check_example_python.py savedmodels/mixed_attention/1
 * </pre>
 *
 * <p>Letters: B batch, N tokens, D width, C classes.
 */
public final class MixedAttentionClassifier {
  static final int VOCAB = 8;
  static final int N = 32;
  static final int D = 32;
  static final int CLASSES = 2;
  static final String NAME = "mixed_attention";

  private MixedAttentionClassifier() {}

  /**
   * The model for batches of {@code batch} rows (-1: any); with {@code training}, labels (B) and
   * dropout.
   */
  static ComposedModel<TFloat32> model(long batch, boolean training, long seed) {
    AttentionSpec longShort = AttentionSpec.longShort().setWidth(D).setHeads(2).setWindow(8).setRank(4).build();
    AttentionSpec full = AttentionSpec.full().setWidth(D).setHeads(2).build();
    ComposedModel.Builder<TFloat32> b = ComposedModel.builder(TFloat32.class).optSeed(seed)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE)
        .addInput("input_ids", TInt32.class, Shape.of(batch, N))
        .addInput("mask", TInt32.class, Shape.of(batch, N))
        .setForward((GraphScope<TFloat32> root, Map<String, Operand<?>> in, Dropout dropout) -> {
          Ops tf = root.tf();
          @SuppressWarnings("unchecked")
          Operand<TInt32> ids = (Operand<TInt32>) in.get("input_ids");
          // (B, N) 1 token, 0 padding
          Operand<TFloat32> mask = tf.dtypes.cast(in.get("mask"), TFloat32.class);
          // (B, N, D)
          Operand<TFloat32> x = new Embeddings<>(root.child("embed"), VOCAB, D, N, Positions.LEARNED).apply(ids);
          x = new TransformerBlock<>(root.child("local"), longShort, 2 * D, 1e-5, dropout).apply(x, mask, null);
          x = new TransformerBlock<>(root.child("global"), full, 2 * D, 1e-5, dropout).apply(x, mask, null);
          x = LayerNorm.create(root.child("norm"), D, 1e-5).apply(x);
          // (B, D): the mean over real tokens
          Operand<TFloat32> m3 = tf.expandDims(mask, tf.constant(-1));
          Operand<TFloat32> sum = tf.math.mul(x, m3);
          Operand<TFloat32> count = tf.math.maximum(tf.sum(m3, tf.constant(1)), tf.constant(1f));
          Operand<TFloat32> pooled = tf.math.div(tf.sum(sum, tf.constant(1), org.tensorflow.op.core.Sum.keepDims(false)),
              count);
          // (B, D) -> (B, C): our own head
          Operand<TFloat32> h = tf.math.tanh(Linear.create(root.child("head").child("0"), D, D).apply(pooled));
          return Linear.create(root.child("head").child("1"), D, CLASSES).apply(h);
        })
        .optExamples(MixedAttentionClassifier::examples);
    if (training) {
      b.optLabels(Shape.of(batch)).optDropout(0.1);
    }
    return b.build();
  }

  /** Sequences of 12..32 tokens in 1..6 and whether token 3 outnumbers token 4. */
  static List<Example> task(long seed, int count) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Example> list = new ArrayList<>();
    for (int e = 0; e < count; e++) {
      byte[] ids = new byte[12 + rnd.nextInt(N - 11)];
      int diff = 0;
      for (int t = 0; t < ids.length; t++) {
        ids[t] = (byte) (1 + rnd.nextInt(6));
        diff += ids[t] == 3 ? 1 : ids[t] == 4 ? -1 : 0;
      }
      list.add(Example.listOps(ids, diff > 0 ? 1 : 0));
    }
    return list;
  }

  static BatchSource batches(long seed, int count, int batch) {
    return BatchSource.of(Batcher.builder(new ExampleList(task(seed, count)), BatchKind.CLASSIFICATION)
        .batchSize(batch).length(N).shuffle(seed).build());
  }

  /** Example rows of the task, for the SavedModel's warm-up request. */
  static Map<String, HostArray> examples(int batch, long seed) {
    int[] ids = new int[batch * N];
    int[] mask = new int[batch * N];
    List<Example> rows = task(seed, batch);
    for (int r = 0; r < batch; r++) {
      int[] t = rows.get(r).ids();
      for (int i = 0; i < t.length; i++) {
        ids[r * N + i] = t[i];
        mask[r * N + i] = 1;
      }
    }
    Map<String, HostArray> out = new LinkedHashMap<>();
    out.put("input_ids", HostArray.ints(new long[] {batch, N}, ids));
    out.put("mask", HostArray.ints(new long[] {batch, N}, mask));
    return out;
  }

  /** What a run did: validation losses at its first and last evaluation, and the version exported. */
  record Outcome(double firstLoss, double lastLoss, double lastAccuracy, Path exported) {}

  /** Trains in {@code runDir} (resuming from its newest checkpoint), then exports the best checkpoint. */
  static Outcome run(Path runDir, Path exportRoot, int steps, int batch, int checkpointEvery) throws IOException {
    long seed = 7;
    OptimizerSpec optimizer = new OptimizerSpec(OptimizerSpec.Type.ADAMW, 3e-3, 0.9, 0.999, 1e-6, 0.01, 0,
        OptimizerSpec.Schedule.LINEAR, steps / 10, steps, 1.0, 1);
    TrainConfig config = TrainConfig.builder().setBatchSize(batch).setLength(N).setSteps(steps).optSeed(seed)
        .optEvalEvery(Math.max(1, steps / 5)).optEvalBatches(4).optCheckpointEvery(checkpointEvery)
        .optKeepCheckpoints(2).build();
    // a resume checks these against the checkpoint's: another model or optimizer is another run
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("model", "MixedAttentionClassifier D=" + D + " N=" + N);
    metadata.put("optimizer", optimizer.toJson());
    metadata.put("seed", Long.toString(seed));
    metadata.put("batchSize", Integer.toString(batch));
    List<double[]> evals = new ArrayList<>();
    try (RunFolder run = RunFolder.open(runDir, metadata, List.copyOf(metadata.keySet()));
        ComposedModel<TFloat32> model = model(batch, true, seed)) {
      PlainStep step = new PlainStep(model, PlainStep.optimizer(model, optimizer, TFloat32.class), seed);
      TrainingLoop loop = new TrainingLoop(model, step, run, false);
      model.session();
      loop.resume().ifPresent(c -> System.out.println("resuming at step " + loop.step() + " of " + steps + " from "
          + c.getFileName()));
      loop.train(config, batches(1, 2000, batch),
          batches(2, 4 * batch, batch), new TrainingListener() {
            @Override
            public void evaluated(long s, TrainingLoop.Metrics m) {
              evals.add(new double[] {m.loss(), m.accuracy()});
              System.out.printf("step %d: validation loss %.4f accuracy %.3f%n", s, m.loss(), m.accuracy());
            }

            @Override
            public void checkpointed(long s, Path file) {
              System.out.println("checkpoint " + file.getFileName());
            }
          });
    }
    // serving: any batch size, no labels or dropout; the weights of the best checkpoint
    Path exported;
    try (ComposedModel<TFloat32> serving = model(-1, false, 0);
        Safetensors best = Safetensors.open(RunFolder.resolveCheckpoint(runDir, "best"))) {
      WeightLoader.load(serving.session(), serving.parameters(), best);
      exported = ServingExport.export(serving, exportRoot, NAME, null, false, 0).versionDir();
    }
    System.out.println("exported " + exported);
    double[] first = evals.isEmpty() ? new double[] {Double.NaN, Double.NaN} : evals.get(0);
    double[] last = evals.isEmpty() ? first : evals.get(evals.size() - 1);
    return new Outcome(first[0], last[0], last[1], exported);
  }

  public static void main(String[] args) throws IOException {
    Path run = Path.of("runs/mixed_attention");
    Path export = Path.of("savedmodels");
    int steps = 300;
    int batch = 16;
    int every = 50;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--run" -> run = Path.of(args[i + 1]);
        case "--export" -> export = Path.of(args[i + 1]);
        case "--steps" -> steps = Integer.parseInt(args[i + 1]);
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--checkpoint-every" -> every = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; the options are --run, --export, --steps, --batch, --checkpoint-every");
      }
    }
    Outcome o = run(run, export, steps, batch, every);
    System.out.printf("validation loss %.4f -> %.4f, accuracy %.3f%n", o.firstLoss(), o.lastLoss(), o.lastAccuracy());
  }
}
