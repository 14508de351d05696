/**
 * XLA: the forward pass or the whole training step as one must-compile function
 * ({@code XlaFunction}, {@code XlaPieces}), XLA attention kernels and gradients, and the TPU op check
 * ({@code TpuCompatibility}).
 *
 * <p><b>Internal</b> apart from {@code XlaAttention} (one attention layer as an XLA function, for
 * users composing models); {@code XlaKernels} is package-private. Chosen by {@code train}, {@code export} or {@code cli} and handed to the graph
 * through {@code graph.core.Execution}/{@code CompiledPieces}; imports {@code spec} and {@code graph};
 * {@code graph} packages must not import it.
 */
package io.longshort.compile;
