package io.longshort.cli;

import io.longshort.data.images.Augmenter;
import io.longshort.data.images.Cifar10Reader;
import io.longshort.data.images.ImageFolderReader;
import io.longshort.data.images.ImageSet;
import io.longshort.data.images.SyntheticImages;
import io.longshort.export.SavedModelWriter;
import io.longshort.io.ContentFingerprint;
import io.longshort.spec.VisionSpec;
import io.longshort.train.AdamW;
import io.longshort.train.ImageTrainer;
import io.longshort.train.OptimizerSpec;
import io.longshort.weights.MsVitWeights;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains a ViL-style image classifier (VisionSpec) on generated images, CIFAR-10 or an image folder. */
@Command(name = "train-image", mixinStandardHelpOptions = true,
    description = {
        "Trains an image classifier (--spec: a shipped vision config or a VisionSpec JSON) with AdamW, linear"
            + " warm-up and cosine decay, random-crop + flip augmentation, and reports held-out accuracy. Without"
            + " --run nothing is written; a --run folder holding checkpoints of the same run resumes from the newest.",
        "Data (--data): synthetic (generated stripes and shapes, one pattern per class); cifar10:DIR (the binary"
            + " batches; test_batch.bin is held out); folder:DIR (one sub-folder per class of JPEG/PNG files,"
            + " resized to imageSize; held-out images from --eval-data folder:DIR).",
        "--export writes a SavedModel (signatures serving_default and classify, input 'images': NHWC float32,"
            + " normalised)."})
final class TrainImageCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--spec", paramLabel = "NAME|FILE", defaultValue = "vil_ls_tiny",
      description = "The model: vil_ls_tiny, vil_ls_medium, vil_ls_base, vil_ls_medium_384, a VisionSpec JSON file, or a"
          + " JSON file of the authors' MsViT arguments (their arch string, img_size, num_classes, ...)"
          + " (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--data", defaultValue = "synthetic", description = "synthetic, cifar10:DIR or folder:DIR "
      + "(default: ${DEFAULT-VALUE}).")
  String data;

  @Option(names = "--eval-data", description = "folder:DIR of held-out images for --data folder:DIR.")
  String evalData;

  @Option(names = "--train-size", defaultValue = "4000", description = "Generated training images (default: ${DEFAULT-VALUE}).")
  int trainSize;

  @Option(names = "--eval-size", defaultValue = "1000", description = "Generated held-out images (default: ${DEFAULT-VALUE}).")
  int evalSize;

  @Option(names = "--steps", defaultValue = "1000", description = "Updates (default: ${DEFAULT-VALUE}).")
  long steps;

  @Mixin
  BatchOption batch = BatchOption.defaultingTo(32);

  @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--weight-decay", defaultValue = "0.05", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
  double weightDecay;

  @Option(names = "--warmup", description = "Warm-up updates (default: a tenth of --steps).")
  Integer warmup;

  @Option(names = "--crop-padding", defaultValue = "4", description = "Random-crop padding in pixels, 0 = no crop (default: ${DEFAULT-VALUE}).")
  int cropPadding;

  @Option(names = "--no-flip", description = "No random horizontal flips.")
  boolean noFlip;

  @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every N updates (default: only at the end).")
  long evalEvery;

  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--weights", paramLabel = "FILE", description = "Start from these weights: a safetensors"
      + " state_dict with the authors' MsViT names (their model_best.pth through scripts/pth_to_safetensors.py);"
      + " MsViT's index buffers are skipped, any other tensor the model lacks is refused. With --steps 0:"
      + " evaluate (and export) only.")
  Path weights;

  // without --run nothing is written, as the command's description says
  @Mixin
  RunOption run = RunOption.optional();

  @Option(names = "--checkpoint-every", defaultValue = "100", description = "With --run: checkpoint every N updates"
      + " and at the end (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Option(names = "--keep", defaultValue = "3", description = "With --run: how many of the newest checkpoints stay;"
      + " the best stays besides (default: ${DEFAULT-VALUE}).")
  int keep;

  @Option(names = "--recompute", description = "Gradient checkpointing (the authors' --attention_grad_checkpointing):"
      + " keep only each block's input and rebuild its activations in the backward pass (all but the last block's,"
      + " which the backward pass reads first); the same gradients in less memory and more time. A run may resume"
      + " with or without it.")
  boolean recompute;

  @Option(names = "--export", paramLabel = "DIR", description = "Write the trained model as a SavedModel into DIR (must not exist).")
  Path export;

  @Override
  public Integer call() throws IOException {
    VisionSpec spec = VisionSpec.load(model);
    if (steps < 0 || (steps == 0 && weights == null)) {
      throw new IllegalArgumentException("--steps (" + steps + ") must be >= 1 (0 only with --weights)");
    }
    if (export != null && Files.exists(export)) {
      throw new IllegalArgumentException("--export " + export + " already exists");
    }
    OptionChecks.atLeast("--batch", batch.value(), 1);
    OptionChecks.atLeast("--train-size", trainSize, 1);
    OptionChecks.atLeast("--eval-size", evalSize, 1);
    OptionChecks.learningRate("--lr", learningRate);
    OptionChecks.nonNegativeFinite("--weight-decay", weightDecay);
    OptionChecks.atLeast("--crop-padding", cropPadding, 0);
    OptionChecks.atLeast("--eval-every", evalEvery, 0);
    if (warmup != null) {
      OptionChecks.inRange("--warmup", warmup, 0, Math.max(0, steps - 1));
    }
    ImageSet train;
    ImageSet eval;
    if (data.equals("synthetic")) {
      train = SyntheticImages.generate(spec.classes(), trainSize, spec.imageSize(), seed.value());
      eval = SyntheticImages.generate(spec.classes(), evalSize, spec.imageSize(), seed.value() + 7_777_777L);
    } else if (data.startsWith("cifar10:")) {
      Path dir = Path.of(data.substring("cifar10:".length()));
      train = Cifar10Reader.readSplit(dir, true);
      eval = Cifar10Reader.readSplit(dir, false);
    } else if (data.startsWith("folder:")) {
      if (evalData == null || !evalData.startsWith("folder:")) {
        throw new IllegalArgumentException("--data folder:DIR needs --eval-data folder:DIR (held-out images)");
      }
      train = ImageFolderReader.read(Path.of(data.substring("folder:".length())), spec.imageSize());
      eval = ImageFolderReader.read(Path.of(evalData.substring("folder:".length())), spec.imageSize());
      if (!train.classNames().equals(eval.classNames())) {
        throw new IllegalArgumentException("--eval-data classes " + eval.classNames() + " differ from --data's "
            + train.classNames());
      }
    } else {
      throw new IllegalArgumentException("--data (\"" + data + "\") is not synthetic, cifar10:DIR or folder:DIR");
    }
    if (train.side() != spec.imageSize() || train.classes() != spec.classes() || train.channels() != spec.channels()) {
      throw new IllegalArgumentException("the data (" + train.side() + " x " + train.side() + " x " + train.channels()
          + ", " + train.classes() + " classes) does not fit the model (imageSize " + spec.imageSize()
          + ", channels " + spec.channels() + ", classes " + spec.classes() + "); change the VisionSpec");
    }
    int warm = warmup != null ? warmup : (int) (steps / 10);
    OptimizerSpec opt = AdamW.builder().setLearningRate(learningRate).optEpsilon(1e-8).optWeightDecay(weightDecay)
        .optSchedule(OptimizerSpec.Schedule.COSINE).optWarmup(warm)
        .optTotalSteps(Math.toIntExact(Math.max(1, steps))).build();
    PrintWriter out = command.commandLine().getOut();
    out.printf(Locale.ROOT, "train-image: %d training, %d held-out images, %d classes (chance %.3f)%s%n",
        train.size(), eval.size(), spec.classes(), 1.0 / spec.classes(),
        recompute ? ", blocks recomputed in the backward pass" : "");
    out.flush();
    long started = System.nanoTime();
    long every = Math.max(1, steps / 20);
    try (ImageTrainer trainer = new ImageTrainer(spec, opt, batch.value(), seed.value(),
        cropPadding > 0 || !noFlip ? new Augmenter(cropPadding, !noFlip, seed.value()) : null, run.valueOrNull(), checkpointEvery, keep,
        // the decoded images and labels: the same data whatever files or generator gave them
        ContentFingerprint.ofArrays(List.of(train.pixels(), eval.pixels()), List.of(train.labels(), eval.labels())),
        recompute)) {
      if (trainer.updates() > 0) {
        out.printf(Locale.ROOT, "resuming at step %d of %d%n", trainer.updates(), steps);
        out.flush();
      }
      if (weights != null && trainer.updates() == 0) {
        try (Safetensors file = Safetensors.open(weights)) {
          WeightLoader.Report report = MsVitWeights.load(trainer.graph().session(), trainer.graph().parameters(), file,
              java.util.Set.of());
          report.warnings().forEach(command.commandLine().getErr()::println);
          out.printf(Locale.ROOT, "loaded %d parameters from %s; unused tensors: %s%n", report.loaded().size(),
              weights, report.unused());
        }
      }
      ImageTrainer.Metrics last = steps == 0 ? trainer.evaluate(eval)
          : trainer.train(train, eval, steps, evalEvery, new ImageTrainer.Listener() {
        @Override
        public void step(long step, double loss, double learningRate) {
          if ((step + 1) % every == 0) {
            out.printf(Locale.ROOT, "step %d loss %.4f lr %.2e (%.0f s)%n", step + 1, loss, learningRate,
                (System.nanoTime() - started) / 1e9);
            out.flush();
          }
        }

        @Override
        public void evaluated(long step, ImageTrainer.Metrics m) {
          out.printf(Locale.ROOT, "eval step %d: held-out loss %.4f accuracy %.4f over %d images%n", step, m.loss(),
              m.accuracy(), m.images());
          out.flush();
        }
      });
      if (last == null) {
        // a run resumed at its last step trains and evaluates nothing: report its weights as they are
        last = trainer.evaluate(eval);
      }
      out.printf(Locale.ROOT, "held-out accuracy %.4f (chance %.4f) after %d steps, %.0f s%n", last.accuracy(),
          1.0 / spec.classes(), steps, (System.nanoTime() - started) / 1e9);
      if (export != null) {
        // written beside the target and renamed: no half-written model under the final name
        Path tmp = export.toAbsolutePath().resolveSibling("." + export.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        SavedModelWriter.write(trainer.graph(), tmp);
        Files.move(tmp, export, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        out.println("exported " + export);
      }
    }
    return 0;
  }
}
