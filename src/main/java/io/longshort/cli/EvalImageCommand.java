package io.longshort.cli;

import io.longshort.data.images.ImageFolderReader;
import io.longshort.data.images.Preprocessing;
import io.longshort.data.images.Resampling;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import io.longshort.train.ImageEvaluation;
import io.longshort.train.Progress;
import io.longshort.train.RunFolder;
import io.longshort.weights.MsVitWeights;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Top-1 and top-5 accuracy of an image classifier on an image folder, preprocessed as the authors
 * evaluate: a command beside train-image rather than an {@code eval} mode, because {@code eval}
 * reads token models of training runs (its data options, batch shape and metrics are theirs),
 * while this one takes vision specs, the authors' weights and image folders.
 */
@Command(name = "eval-image", mixinStandardHelpOptions = true,
    description = {
        "Evaluates an image classifier on an image folder in ImageNet's validation layout (one sub-folder per"
            + " class, classes in sorted order; JPEG and PNG files) and reports top-1 and top-5 accuracy.",
        "The model: --spec (a shipped vision config or a VisionSpec JSON) with --weights (a safetensors state_dict"
            + " with the authors' MsViT names, e.g. from scripts/pth_to_safetensors.py), or --run (a train-image"
            + " run folder) with --checkpoint.",
        "Preprocessing as the authors' evaluation (dat/transforms/build.py, config/msvit.yaml): the shorter side"
            + " resized to int(S / 0.875) with Pillow's bicubic filter, the centre S x S, ImageNet's mean and std"
            + " (S: the model's imageSize)."})
final class EvalImageCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Option(names = "--images", required = true, paramLabel = "DIR",
      description = "The image folder: one sub-folder per class (ImageNet's val layout).")
  Path images;

  @Option(names = "--spec", paramLabel = "NAME|FILE",
      description = "The model (with --weights): vil_ls_medium, vil_ls_base, vil_ls_medium_384, vil_ls_tiny, a"
          + " VisionSpec JSON file, or a JSON file of the authors' MsViT arguments (their arch string, img_size,"
          + " num_classes, ...).")
  String spec;

  @Option(names = "--weights", paramLabel = "FILE", description = "With --spec: the weights, a safetensors"
      + " state_dict with the authors' MsViT names (their model_best.pth through scripts/pth_to_safetensors.py);"
      + " MsViT's index buffers are skipped, any other tensor the model lacks is refused.")
  Path weights;

  @Mixin
  RunOption run = RunOption.optional();

  @Option(names = "--checkpoint", defaultValue = "best", paramLabel = "best|latest|STEP|PATH",
      description = "With --run: which checkpoint (default: ${DEFAULT-VALUE}).")
  String checkpoint;

  @Option(names = "--crop-fraction", defaultValue = "0.875", paramLabel = "F", description = "The centre crop's"
      + " share of the resized shorter side, the authors' INPUT.CROP_PCT; 0: resize the whole image to S x S,"
      + " as train-image reads folders (default: ${DEFAULT-VALUE}).")
  double cropFraction;

  @Option(names = "--interpolation", defaultValue = "bicubic", paramLabel = "bicubic|bilinear",
      description = "Pillow's resampling filter, the authors' INPUT.INTERPOLATION (3 = bicubic in their msvit.yaml,"
          + " 2 = bilinear) (default: ${DEFAULT-VALUE}).")
  String interpolation;

  @Mixin
  BatchOption batch = BatchOption.defaultingTo(64);

  @Option(names = "--threads", paramLabel = "N", description = "Threads that decode and resize images (default:"
      + " the number of processors).")
  Integer threads;

  @Override
  public Integer call() throws IOException {
    OptionChecks.atLeast("--batch", batch.value(), 1);
    OptionChecks.require(cropFraction == 0 || (cropFraction > 0 && cropFraction <= 1), "--crop-fraction",
        cropFraction, "must be in (0, 1], or 0 for no crop");
    Resampling resampling = Resampling.fromJson("--interpolation", interpolation.toLowerCase(Locale.ROOT));
    int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    OptionChecks.atLeast("--threads", workers, 1);
    if ((spec == null) == (run.value() == null)) {
      throw new IllegalArgumentException("eval-image needs one model: --spec NAME|FILE with --weights FILE, or --run"
          + " DIR (a train-image run folder)");
    }
    if (spec != null && weights == null) {
      throw new IllegalArgumentException("--spec " + spec + " needs --weights FILE: random weights score chance");
    }
    if (run.value() != null && weights != null) {
      throw new IllegalArgumentException("--weights goes with --spec; a --run's weights are its --checkpoint");
    }
    Path file = run.value() != null ? RunFolder.resolveCheckpoint(run.value(), checkpoint) : weights;
    PrintWriter out = command.commandLine().getOut();
    try (Safetensors tensors = Safetensors.open(file)) {
      VisionSpec model = run.value() != null ? runModel(tensors, file) : VisionSpec.load(spec);
      Preprocessing preprocessing = new Preprocessing(model.imageSize(), cropFraction, resampling);
      ImageFolderReader.Listing listing = ImageFolderReader.list(images);
      try (VisionModelGraph<TFloat32> graph = VisionModelGraph.build(model, TFloat32.class, -1, 0)) {
        // the authors' state_dict as train-image --weights reads it (MsViT's buffers skipped, another
        // architecture's tensors refused); a run checkpoint also holds the optimizer's state
        WeightLoader.Report report = run.value() != null ? WeightLoader.load(graph.session(), graph.parameters(), tensors)
            : MsVitWeights.load(graph.session(), graph.parameters(), tensors, java.util.Set.of());
        report.warnings().forEach(command.commandLine().getErr()::println);
        if (run.value() != null) {
          out.printf(Locale.ROOT, "loaded %d parameters from %s (step %d)%n", report.loaded().size(), file,
              io.longshort.train.Checkpoints.step(file));
        } else {
          out.printf(Locale.ROOT, "loaded %d parameters from %s; unused tensors: %s%n", report.loaded().size(), file,
              report.unused());
        }
        out.printf(Locale.ROOT, "eval-image: %,d images, %d classes; %s, ImageNet mean and std; batch %d%n",
            listing.size(), listing.classNames().size(), preprocessing, batch.value());
        out.flush();
        Progress progress = new Progress(out, false);
        progress.started(0, listing.size());
        ImageEvaluation.Result r = ImageEvaluation.evaluate(graph, listing, preprocessing, batch.value(), workers,
            (soFar, total) -> progress.advance(soFar.images(), String.format(Locale.ROOT,
                "images %,d/%,d  top-1 %.4f  top-5 %.4f  ETA %s", soFar.images(), total, soFar.top1Accuracy(),
                soFar.top5Accuracy(), progress.eta(soFar.images()))));
        progress.line(String.format(Locale.ROOT, "top-1 %.4f %%  top-5 %.4f %%  (%,d and %,d of %,d images)",
            100 * r.top1Accuracy(), 100 * r.top5Accuracy(), r.top1(), r.top5(), r.images()));
      }
    }
    return 0;
  }

  /** The vision model a train-image checkpoint records. */
  private static VisionSpec runModel(Safetensors tensors, Path file) {
    String json = tensors.metadata().get("model");
    if (json == null) {
      throw new IllegalArgumentException(file + " records no model: not a train-image checkpoint");
    }
    return VisionSpec.parseJson(json);
  }
}
