/**
 * Training: the one loop ({@code TrainingLoop}) and its steps ({@code PlainStep},
 * {@code CompiledStep}, {@code TruncatedBpttStep}), optimizers ({@code OptimizerSpec}), the run folder
 * ({@code RunFolder}: metadata, resume checks, checksummed checkpoints, {@code best/}, TensorBoard
 * events) and the trainers configured over it.
 *
 * <p><b>Public API.</b> Imports {@code spec}, {@code graph}, {@code compile}, {@code data},
 * {@code weights} and {@code io}; imported by {@code train.distributed}, {@code cli} and
 * {@code bench}, never by {@code export}.
 */
package io.longshort.train;
