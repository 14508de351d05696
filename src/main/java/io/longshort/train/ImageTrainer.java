package io.longshort.train;

import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Trains a {@link VisionSpec} image classifier in float32: the model's training graph, its
 * gradients and the shared {@link Optimizer} in one graph, and a loop over augmented, shuffled
 * batches (batch i is always the same images with the same crops: epoch i / E shuffled by the
 * seed and that epoch). The token-id {@link Trainer} feeds int32 ids, masks and checkpoints a
 * ModelSpec; images are float tensors of another spec, so they get this small loop instead of
 * widening the Trainer's interfaces. Checkpoints and XLA steps are not wired here yet.
 */
public final class ImageTrainer implements AutoCloseable {
  /** Mean loss and accuracy over a set. */
  public record Metrics(double loss, double accuracy, int images) {}

  /** Receives progress; every method has a do-nothing default. */
  public interface Listener {
    default void step(long step, double loss, double learningRate) {}

    default void evaluated(long step, Metrics metrics) {}
  }

  private final VisionModelGraph<TFloat32> graph;
  private final Optimizer<TFloat32> optimizer;
  private final int batchSize;
  private final long seed;
  private final Augmenter augmenter;

  /**
   * @param augmenter applied to training batches; null for none
   */
  public ImageTrainer(VisionSpec spec, OptimizerSpec optimizerSpec, int batchSize, long seed, Augmenter augmenter) {
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
    graph = VisionModelGraph.buildForTraining(spec, TFloat32.class, -1, seed);
    try {
      List<Parameter<TFloat32>> params = graph.parameters().list();
      Output<?>[] grads = graph.graph().addGradients(graph.loss().asOutput(),
          params.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
      List<Operand<TFloat32>> g = new ArrayList<>();
      for (Output<?> grad : grads) {
        @SuppressWarnings("unchecked")
        Operand<TFloat32> t = (Operand<TFloat32>) grad;
        g.add(t);
      }
      optimizer = new Optimizer<>(graph.graph(), optimizerSpec, params, g);
      // created after the optimizer, so that initialising it covers the optimizer's slots too
      graph.session();
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  public VisionModelGraph<TFloat32> graph() {
    return graph;
  }

  /**
   * Runs {@code steps} updates on {@code train}, evaluating {@code eval} every {@code evalEvery}
   * steps (0 = only at the end).
   *
   * @return the last evaluation
   */
  public Metrics train(ImageSet train, ImageSet eval, long steps, long evalEvery, Listener listener) {
    if (train.size() < batchSize) {
      throw new IllegalArgumentException("the training set has " + train.size() + " images, fewer than a batch ("
          + batchSize + ")");
    }
    Metrics last = null;
    for (long step = 0; step < steps; step++) {
      double[] r = step(train, step);
      listener.step(step, r[0], r[1]);
      if ((evalEvery > 0 && (step + 1) % evalEvery == 0) || step + 1 == steps) {
        last = evaluate(eval);
        listener.evaluated(step + 1, last);
      }
    }
    return last;
  }

  /** One update on batch {@code step}; returns {loss, learning rate}. */
  public double[] step(ImageSet train, long step) {
    int perEpoch = train.size() / batchSize;
    long epoch = step / perEpoch;
    int[] order = permutation(train.size(), seed * 1_000_003L + epoch);
    int first = (int) (step % perEpoch) * batchSize;
    int len = train.imageLength();
    float[] pixels = new float[batchSize * len];
    int[] labels = new int[batchSize];
    for (int b = 0; b < batchSize; b++) {
      int i = order[first + b];
      float[] img = train.image(i);
      if (augmenter != null) {
        img = augmenter.apply(img, train.side(), train.channels(), step, b);
      }
      System.arraycopy(img, 0, pixels, b * len, len);
      labels[b] = train.labels()[i];
    }
    try (TFloat32 x = graph.imagesTensor(batchSize, pixels);
        TInt32 y = TInt32.tensorOf(Shape.of(batchSize), org.tensorflow.ndarray.buffer.DataBuffers.of(labels, true, false));
        var r = graph.session().runner().feed(graph.images(), x).feed(graph.labels(), y)
            .fetch(graph.loss()).fetch(optimizer.learningRate()).addTarget(optimizer.update()).run()) {
      return new double[] {scalar(r.get(0)), scalar(r.get(1))};
    }
  }

  /** Mean loss and accuracy over every image of {@code set}, in batches, no augmentation. */
  public Metrics evaluate(ImageSet set) {
    double lossSum = 0;
    double hits = 0;
    int len = set.imageLength();
    for (int from = 0; from < set.size(); from += batchSize) {
      int n = Math.min(batchSize, set.size() - from);
      float[] pixels = new float[n * len];
      System.arraycopy(set.pixels(), from * len, pixels, 0, pixels.length);
      int[] labels = new int[n];
      System.arraycopy(set.labels(), from, labels, 0, n);
      try (TFloat32 x = graph.imagesTensor(n, pixels);
          TInt32 y = TInt32.tensorOf(Shape.of(n), org.tensorflow.ndarray.buffer.DataBuffers.of(labels, true, false));
          var r = graph.session().runner().feed(graph.images(), x).feed(graph.labels(), y)
              .fetch(graph.loss()).fetch(graph.hits()).run()) {
        lossSum += scalar(r.get(0)) * n;
        for (double h : HostTensors.toDoubles(r.get(1))) {
          hits += h;
        }
      }
    }
    return new Metrics(lossSum / set.size(), hits / set.size(), set.size());
  }

  private static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rnd = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static double scalar(Tensor t) {
    return HostTensors.toDoubles(t)[0];
  }

  @Override
  public void close() {
    graph.close();
  }
}
