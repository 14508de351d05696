package io.longshort.train;

/**
 * SGD with PyTorch-style momentum; weight decay added to the gradient, by named options:
 * {@code Sgd.builder().setLearningRate(3e-3)...build()} ({@link OptimizerBuilder}).
 */
public final class Sgd {
  private Sgd() {}

  public static OptimizerBuilder builder() {
    return new OptimizerBuilder(OptimizerSpec.Type.SGD);
  }
}
