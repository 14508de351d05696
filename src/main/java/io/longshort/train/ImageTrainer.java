package io.longshort.train;

import io.longshort.data.ImageData;
import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.types.TFloat32;

/**
 * Trains a {@link VisionSpec} image classifier in float32: the {@link TrainingLoop} configured
 * with the vision model's training graph, a {@link PlainStep} and augmented, shuffled batches
 * ({@link ImageData#training}). With a run folder it checkpoints, keeps the best checkpoint and
 * resumes exactly as token runs do: the same weights, optimizer state, step and data order.
 */
public final class ImageTrainer implements AutoCloseable {
  /** The run's identity: a checkpoint with other values of these belongs to another run. */
  public static final List<String> IDENTITY = List.of("model", "optimizer", "seed", "batchSize", "augment");

  /** Mean loss and accuracy over a set. */
  public record Metrics(double loss, double accuracy, int images) {}

  /** Receives progress; every method has a do-nothing default. */
  public interface Listener {
    /** After update {@code step} (0-based). */
    default void step(long step, double loss, double learningRate) {}

    default void evaluated(long step, Metrics metrics) {}

    default void checkpointed(long step, Path file) {}
  }

  private final VisionModelGraph<TFloat32> graph;
  private final PlainStep step;
  private final RunFolder run;
  private final TrainingLoop loop;
  private final int batchSize;
  private final long seed;
  private final Augmenter augmenter;
  private final int checkpointEvery;
  private final int keep;

  /** A run without a folder: no checkpoints, no TensorBoard events. */
  public ImageTrainer(VisionSpec spec, OptimizerSpec optimizerSpec, int batchSize, long seed, Augmenter augmenter) {
    this(spec, optimizerSpec, batchSize, seed, augmenter, null, Integer.MAX_VALUE, 1);
  }

  /**
   * @param augmenter applied to training batches; null for none
   * @param runDir the run folder (checkpoints, best.json, TensorBoard events; resumes from its
   *     newest checkpoint), or null for none
   * @param checkpointEvery checkpoint every this many updates (and at the end)
   * @param keep how many of the newest checkpoints stay (the best one stays besides)
   */
  public ImageTrainer(VisionSpec spec, OptimizerSpec optimizerSpec, int batchSize, long seed, Augmenter augmenter,
      Path runDir, int checkpointEvery, int keep) {
    this(spec, optimizerSpec, batchSize, seed, augmenter, runDir, checkpointEvery, keep, null);
  }

  /**
   * @param dataFingerprint the images' {@link io.longshort.io.ContentFingerprint}, recorded in the
   *     run's checkpoints and checked on resume ({@link RunFolder#DATA}); null checks nothing
   */
  public ImageTrainer(VisionSpec spec, OptimizerSpec optimizerSpec, int batchSize, long seed, Augmenter augmenter,
      Path runDir, int checkpointEvery, int keep, String dataFingerprint) {
    this(spec, optimizerSpec, batchSize, seed, augmenter, runDir, checkpointEvery, keep, dataFingerprint, false);
  }

  /**
   * @param recompute gradient checkpointing ({@code train-image --recompute},
   *     {@link VisionModelGraph.Builder#optRecompute}): each block's activations are rebuilt in the
   *     backward pass from its input; the same gradients in less memory and more time. A run may
   *     resume with or without it (its checkpoints are the same).
   */
  public ImageTrainer(VisionSpec spec, OptimizerSpec optimizerSpec, int batchSize, long seed, Augmenter augmenter,
      Path runDir, int checkpointEvery, int keep, String dataFingerprint, boolean recompute) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize (" + batchSize + ") must be >= 1");
    }
    if (optimizerSpec.accumulationSteps() != 1) {
      throw new IllegalArgumentException("accumulationSteps (" + optimizerSpec.accumulationSteps()
          + ") must be 1 for image training");
    }
    this.batchSize = batchSize;
    this.seed = seed;
    this.augmenter = augmenter;
    this.checkpointEvery = checkpointEvery;
    this.keep = keep;
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("model", spec.toJson());
    metadata.put("optimizer", optimizerSpec.toJson());
    metadata.put("seed", Long.toString(seed));
    metadata.put("batchSize", Integer.toString(batchSize));
    metadata.put("augment", augmenter == null ? "none" : augmenter.toString());
    metadata.put("compute_dtype", "float32");
    if (dataFingerprint != null) {
      metadata.put(RunFolder.DATA, dataFingerprint);
    }
    try {
      run = runDir == null ? RunFolder.none() : RunFolder.open(runDir, metadata, IDENTITY);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    try {
      graph = VisionModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).optSeed(seed).optTraining(true)
          .optRecompute(recompute ? io.longshort.compile.Recompute.INSTANCE : null).build();
    } catch (RuntimeException e) {
      run.closeAfter(e);
      throw e;
    }
    try {
      step = new PlainStep(graph, PlainStep.optimizer(graph, optimizerSpec, TFloat32.class), seed);
      loop = new TrainingLoop(graph, step, run, false);
      // created after the optimizer, so that initialising it covers the optimizer's slots too
      graph.session();
      loop.resume();
    } catch (IOException e) {
      graph.close();
      run.closeAfter(e);
      throw new java.io.UncheckedIOException(e);
    } catch (RuntimeException e) {
      graph.close();
      run.closeAfter(e);
      throw e;
    }
  }

  public VisionModelGraph<TFloat32> graph() {
    return graph;
  }

  public RunFolder runFolder() {
    return run;
  }

  /** The number of updates made so far (after a resume, where the checkpoint left off). */
  public long updates() {
    return loop.step();
  }

  /**
   * Runs updates up to {@code steps} on {@code train} (from where the run folder left off),
   * evaluating {@code eval} every {@code evalEvery} steps (0 = only at the end).
   *
   * @return the last evaluation
   */
  public Metrics train(ImageSet train, ImageSet eval, long steps, long evalEvery, Listener listener) {
    TrainConfig config = TrainConfig.builder().setBatchSize(batchSize).setSteps(steps).optSeed(seed)
        .optEvalEvery((int) Math.min(Integer.MAX_VALUE, evalEvery > 0 ? evalEvery : steps))
        .optCheckpointEvery(Math.toIntExact(Math.min(checkpointEvery, steps))).optKeepCheckpoints(keep).build();
    try {
      TrainingResult r = loop.train(config, ImageData.training(train, batchSize, seed, augmenter),
          ImageData.evaluation(eval, batchSize), new TrainingListener() {
            @Override
            public void step(long done, double loss, double learningRate, double gradientNorm, double perSecond) {
              listener.step(done - 1, loss, learningRate);
            }

            @Override
            public void evaluated(long done, TrainingLoop.Metrics m) {
              listener.evaluated(done, metrics(m));
            }

            @Override
            public void checkpointed(long done, Path file) {
              listener.checkpointed(done, file);
            }
          });
      return r.lastEval() == null ? null : metrics(r.lastEval());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** One update on batch {@code step}; returns {loss, learning rate}. */
  public double[] step(ImageSet train, long step) {
    TrainStep.Outcome o = this.step.run(step, ImageData.training(train, batchSize, seed, augmenter));
    return new double[] {o.loss(), o.learningRate()};
  }

  /** Mean loss and accuracy over every image of {@code set}, in batches, no augmentation. */
  public Metrics evaluate(ImageSet set) {
    return metrics(loop.evaluate(ImageData.evaluation(set, batchSize), 0));
  }

  private static Metrics metrics(TrainingLoop.Metrics m) {
    return new Metrics(m.loss(), m.accuracy(), Math.toIntExact(m.rows()));
  }

  @Override
  public void close() {
    try {
      run.close();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      graph.close();
    }
  }
}
