package io.longshort.train;

/**
 * Adam; weight decay, if any, added to the gradient (PyTorch's Adam), by named options:
 * {@code Adam.builder().setLearningRate(3e-3)...build()} ({@link OptimizerBuilder}).
 */
public final class Adam {
  private Adam() {}

  public static OptimizerBuilder builder() {
    return new OptimizerBuilder(OptimizerSpec.Type.ADAM);
  }
}
