package com.example.consumer;

import io.longshort.data.Dataset;
import io.longshort.data.Example;
import io.longshort.export.Export;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.train.AdamW;
import io.longshort.train.Model;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.types.TFloat32;

/**
 * longshort used as a Maven dependency: a small long-short classifier from a spec, trained for a
 * few steps on generated rows with the front door, then exported as a SavedModel for TF Serving.
 * The task: is byte 'a' more frequent than byte 'b' in a string of 'a's and 'b's?
 */
public final class TrainAndExport {
  private TrainAndExport() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args.length > 0 ? args[0] : "work");
    ModelSpec spec = ModelSpec.classifier()
        .setVocabSize(257).setMaxLength(64).setWidth(32).setLayers(1).setHiddenWidth(64).setClasses(2)
        .setAttention(AttentionSpec.longShort().setWidth(32).setHeads(2).setWindow(8).setRank(4).build())
        .build();
    Model<TFloat32> model = Model.of(spec);
    try (Trainer trainer = Trainer.builder(model)
        .setOptimizer(AdamW.builder().setLearningRate(3e-3).optWarmup(5))
        .setBatchSize(8).setSteps(20)
        .optRunDir(work.resolve("run"))
        .optEvalEvery(10)
        .build()) {
      TrainingResult result = trainer.fit(rows(256, 1), rows(64, 2));
      Path version = Export.of(trainer).to(work.resolve("savedmodels"), "ab_counter");
      if (!Files.isRegularFile(version.resolve("saved_model.pb"))) {
        throw new IllegalStateException("no saved_model.pb in " + version);
      }
      System.out.println("trained: " + result);
      System.out.println("exported: " + version);
    }
    // the same export again from the finished run, without the trainer: the run's metadata rebuilds the model
    Path again = Export.fromRun(work.resolve("run")).optCheckpoint("best").to(work.resolve("savedmodels"), "ab_counter");
    System.out.println("exported from the run: " + again);
  }

  /** {@code count} strings of 'a's and 'b's, label 1 when 'a' is the more frequent. */
  static Dataset rows(int count, long seed) {
    Random random = new Random(seed);
    List<Example> rows = new ArrayList<>();
    while (rows.size() < count) {
      byte[] text = new byte[8 + random.nextInt(56)];
      int a = 0;
      for (int i = 0; i < text.length; i++) {
        boolean isA = random.nextBoolean();
        text[i] = (byte) (isA ? 'a' : 'b');
        a += isA ? 1 : 0;
      }
      if (2 * a != text.length) {
        rows.add(Example.text(text, 2 * a > text.length ? 1 : 0));
      }
    }
    return Dataset.of(rows);
  }
}
