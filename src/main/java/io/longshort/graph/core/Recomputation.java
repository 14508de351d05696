package io.longshort.graph.core;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;

/**
 * Gradient checkpointing of one block (the authors' {@code --attention_grad_checkpointing} and
 * {@code grad_chk}): the training step keeps only the block's inputs, and its backward pass
 * rebuilds the block's activations from them. Implemented by {@code io.longshort.compile.Recompute}.
 *
 * <p>A model applies it to its blocks (or to their halves, {@link Segments#HALVES}) through {@link
 * #applyToBlock}, which leaves the last block (segment) of the step plain (as torch's {@code checkpoint_sequential} leaves its last segment): the backward pass
 * starts with that block's gradient right after the forward pass ends, so its kept activations cost
 * no more at the peak than a rebuilt block's would later, and rebuilding it would only cost time.
 * This differs on purpose from the authors' options, which rebuild every block; the gradients are the
 * same either way.
 */
public interface Recomputation {
  /** What one rebuilt segment of a model's block is. */
  enum Segments {
    /** Each block whole: one kept input per block, about one block's forward pass more per step. */
    BLOCKS,
    /**
     * Each block of the classifiers' encoder as two segments, its attention half and its MLP half: one
     * half's activations alive at a time instead of a block's, for a lower peak at more time (every
     * block's attention is rebuilt, the last one's too). Other models refuse it.
     */
    HALVES
  }

  /** How a model cuts its blocks into rebuilt segments. */
  Segments segments();

  /**
   * The refusal of a model that rebuilds only whole blocks: {@code rebuildsWhole} says who and what
   * ("recompute: the authors' LM rebuilds whole layers"), the message adds what was asked instead.
   */
  default void requireWholeBlocks(String rebuildsWhole) {
    if (segments() != Segments.BLOCKS) {
      throw new IllegalArgumentException(rebuildsWhole + " (segments BLOCKS), not " + segments()
          + "; halves are for the classifiers' encoder");
    }
  }

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

  /**
   * Block {@code index} of the {@code count} blocks a training step builds in order (whatever their
   * stages): through {@link #apply}, except the last ({@code index == count - 1}), which is built as
   * usual, {@code block} called once in {@code s} with {@code inputs}, its activations kept for the
   * backward pass (see the class comment). The parameters are those of {@link #apply}.
   */
  default <T extends TFloating> Operand<T> applyToBlock(GraphScope<T> s, String name, int index, int count,
      List<? extends Operand<?>> inputs, int differentiable, Block<T> block) {
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException("block index (" + index + ") must be in 0.." + (count - 1)
          + " (the blocks of the step, block '" + name + "')");
    }
    if (index == count - 1) {
      return block.build(s, inputs.stream().<Output<?>>map(Operand::asOutput).toList());
    }
    return apply(s, name, inputs, differentiable, block);
  }

  /** Builds a block from its scope and its inputs. */
  @FunctionalInterface
  interface Block<T extends TFloating> {
    Operand<T> build(GraphScope<T> s, List<Output<?>> inputs);
  }
}
