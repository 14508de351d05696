/**
 * Training. The front door: a model definition ({@code Model.of(spec)}, {@code Model.composed(dtype)}),
 * {@code Trainer.builder(model)...build()} and {@code fit(train, valid)} on {@code data.Dataset}s,
 * {@code TrainingListener}, optimizers by name ({@code AdamW}, {@code Adam}, {@code Sgd}). Behind it:
 * the one loop ({@code TrainingLoop}) and its steps ({@code PlainStep},
 * {@code CompiledStep}, {@code TruncatedBpttStep}), optimizers ({@code OptimizerSpec}), the run folder
 * ({@code RunFolder}: metadata, resume checks, checksummed checkpoints, {@code best/}, TensorBoard
 * events) and the trainers configured over it.
 *
 * <p><b>Public API.</b> Imports {@code spec}, {@code graph}, {@code compile}, {@code data},
 * {@code weights} and {@code io}; imported by {@code train.distributed}, {@code cli} and
 * {@code bench}, and by {@code export} (whose {@code Export} rebuilds a run's model from its
 * metadata); {@code train} never imports {@code export}.
 */
package io.longshort.train;
