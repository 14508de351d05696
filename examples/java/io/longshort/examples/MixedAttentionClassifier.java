package io.longshort.examples;

import io.longshort.data.Dataset;
import io.longshort.data.Example;
import io.longshort.export.Export;
import io.longshort.graph.attention.TransformerBlock;
import io.longshort.graph.core.Activation;
import io.longshort.graph.core.ClassificationHead;
import io.longshort.graph.core.Embeddings;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Pooling;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.Positions;
import io.longshort.train.AdamW;
import io.longshort.train.Model;
import io.longshort.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A model a user composes in Java, trained, resumed and served like a shipped one.
 *
 * <p>The model: token and position embeddings, one long-short attention block (window 8, rank 4),
 * one full-attention block, a final LayerNorm, the mean over the real tokens and a head with a
 * tanh hidden layer to two classes. The task, generated: is token 3 more frequent than token 4 in
 * a sequence of 12 to 32 tokens? {@code fit} trains it (AdamW; checkpoints, best/ and TensorBoard
 * events in {@code --run}, resuming from the newest checkpoint when the folder holds one), then
 * {@code Export} writes the best checkpoint as a versioned SavedModel with TF Serving's files.
 *
 * <pre>
 * java -cp ... io.longshort.examples.MixedAttentionClassifier --run runs/mixed --export savedmodels --steps 300
 * python3 scripts/check_example_python.py savedmodels/mixed_attention/1
 * </pre>
 *
 * <p>Letters: B batch, N tokens, D width.
 */
public final class MixedAttentionClassifier {
  static final int N = 32;
  static final int D = 32;
  static final String NAME = "mixed_attention";

  static Model<TFloat32> model() {
    AttentionSpec longShort = AttentionSpec.longShort().setWidth(D).setHeads(2).setWindow(8).setRank(4).build();
    AttentionSpec full = AttentionSpec.full().setWidth(D).setHeads(2).build();
    return Model.composed(TFloat32.class)
        .addInput("input_ids", TInt32.class, N).addInput("mask", TInt32.class, N)
        .setForward((root, in, dropout) -> {
          @SuppressWarnings("unchecked")
          Operand<TInt32> ids = (Operand<TInt32>) in.get("input_ids");
          Operand<TFloat32> mask = root.tf().dtypes.cast(in.get("mask"), TFloat32.class); // (B, N)
          Operand<TFloat32> x = new Embeddings<>(root.child("embed"), 8, D, N, Positions.LEARNED).apply(ids); // (B, N, D)
          x = new TransformerBlock<>(root.child("local"), longShort, 2 * D, 1e-5, dropout).apply(x, mask, null);
          x = new TransformerBlock<>(root.child("global"), full, 2 * D, 1e-5, dropout).apply(x, mask, null);
          x = LayerNorm.create(root.child("norm"), D, 1e-5).apply(x);
          Operand<TFloat32> pooled = Pooling.mean(root, x, mask); // (B, D)
          return new ClassificationHead<>(root.child("head"), D, D, Activation.TANH, 2, dropout).apply(pooled);
        })
        .setClasses(2).optDropout(0.1).build();
  }

  /** Sequences of 12..32 tokens in 1..6, label 1 iff token 3 outnumbers token 4. */
  static Dataset task(long seed, int count) {
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
    return Dataset.of(list);
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> o = new java.util.HashMap<>(Map.of("--run", "runs/mixed_attention", "--export", "savedmodels",
        "--steps", "300", "--batch", "16", "--checkpoint-every", "50"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (o.put(args[i], args[i + 1]) == null) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; the options are " + o.keySet());
      }
    }
    int steps = Integer.parseInt(o.get("--steps"));
    try (Trainer<?> trainer = Trainer.builder(model())
        .setOptimizer(AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(steps / 10))
        .setBatchSize(Integer.parseInt(o.get("--batch"))).setSteps(steps).optSeed(7)
        .optEvalEvery(Math.max(1, steps / 5)).optEvalBatches(4)
        .optCheckpointEvery(Integer.parseInt(o.get("--checkpoint-every"))).optKeepCheckpoints(2)
        .optRunDir(Path.of(o.get("--run"))).build()) { // progress, evaluations and checkpoints on stdout
      trainer.fit(task(1, 2000), task(2, 64));
      // serving: any batch, no dropout; the weights of the best checkpoint
      System.out.println("exported " + Export.of(trainer).to(Path.of(o.get("--export")), NAME));
    }
  }
}
