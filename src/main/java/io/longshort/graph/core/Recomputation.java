package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;

/**
 * Gradient checkpointing of one block (the authors' {@code --attention_grad_checkpointing} and
 * {@code grad_chk}): the training step keeps only the block's inputs, and its backward pass
 * rebuilds the block's activations from them. Implemented by {@code io.longshort.compile.Recompute}.
 */
public interface Recomputation {
  /**
   * The block's output, whose gradient is that of {@code block} re-run from {@code inputs}.
   *
   * @param s the block's scope (its parameters get its PyTorch prefix)
   * @param name a name for the block's ops and gradient function, [A-Za-z][A-Za-z0-9_]*
   * @param inputs everything the block reads besides its parameters, in the order the body takes
   *     them: first the {@code differentiable} ones (activations), then those that get no gradient
   *     (mask, dropout seed and rate)
   * @param block builds the block; called once in {@code s} with {@code inputs}, and again in the
   *     gradient function, with a scope of the same names and the function's stand-ins
   */
  <T extends TFloating> Operand<T> apply(GraphScope<T> s, String name, List<? extends Operand<?>> inputs,
      int differentiable, Block<T> block);

  /** Builds a block from its scope and its inputs. */
  @FunctionalInterface
  interface Block<T extends TFloating> {
    Operand<T> build(GraphScope<T> s, List<Output<?>> inputs);
  }
}
