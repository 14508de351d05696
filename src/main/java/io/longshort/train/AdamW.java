package io.longshort.train;

/**
 * Adam with decoupled weight decay (PyTorch's AdamW), by named options:
 * {@code AdamW.builder().setLearningRate(3e-3)...build()} ({@link OptimizerBuilder}).
 */
public final class AdamW {
  private AdamW() {}

  public static OptimizerBuilder builder() {
    return new OptimizerBuilder(OptimizerSpec.Type.ADAMW);
  }
}
