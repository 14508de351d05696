package io.longshort.examples;

import io.longshort.data.Dataset;
import io.longshort.export.Export;
import io.longshort.spec.ModelSpec;
import io.longshort.train.AdamW;
import io.longshort.train.Model;
import io.longshort.train.Trainer;
import io.longshort.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model from a ModelSpec JSON file trained on a user's own data: JSON Lines files with a
 * {@code text} and a string {@code label} per line (the label names are the training file's, in
 * order of first appearance, recorded as {@code labels.json} in the run folder), then exported
 * for TF Serving from the best checkpoint.
 *
 * <pre>
 * java -cp ... io.longshort.examples.TextFileClassifier examples/specs/tiny_text_classifier.json \
 *     train.jsonl valid.jsonl runs/text savedmodels 200
 * </pre>
 */
public final class TextFileClassifier {
  private TextFileClassifier() {}

  /** Trains the spec's model on the files and exports it; returns the run's result and the version folder. */
  static Result run(Path spec, Path train, Path valid, Path runDir, Path exportRoot, int steps) throws IOException {
    try (Trainer<?> trainer = Trainer.builder(Model.of(ModelSpec.load(spec)))
        .setOptimizer(AdamW.builder().setLearningRate(3e-3).optWarmup(steps / 10))
        .setBatchSize(16).setSteps(steps).optEvalEvery(Math.max(1, steps / 4)).optRunDir(runDir).build()) {
      TrainingResult result = trainer.fit(Dataset.jsonl(train, "text", "label"), Dataset.jsonl(valid, "text", "label"));
      return new Result(result, Export.of(trainer).to(exportRoot, "text_classifier"));
    }
  }

  /** How the run ended and where its SavedModel is. */
  record Result(TrainingResult training, Path version) {}

  public static void main(String[] args) throws IOException {
    if (args.length != 6) {
      throw new IllegalArgumentException("arguments: SPEC.json TRAIN.jsonl VALID.jsonl RUN_DIR EXPORT_ROOT STEPS");
    }
    Result r = run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), Path.of(args[4]),
        Integer.parseInt(args[5]));
    System.out.println("exported " + r.version());
  }
}
