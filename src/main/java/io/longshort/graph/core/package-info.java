/**
 * The graph building blocks every emitter shares: {@code GraphScope} (op and parameter names),
 * {@code Parameters} (seeded resource variables), layers ({@code Linear}, {@code LayerNorm},
 * {@code Embeddings}, {@code PreLnBlock}, {@code Pooling}, {@code ClassificationHead},
 * {@code RegressionHead}, {@code Activation}), dropout, gradients, precision, and host-side arrays
 * ({@code HostArray}).
 *
 * <p><b>Public API</b> for composing a model in Java. Imports {@code spec} and
 * {@code graph.attention}; never {@code compile}: compiled pieces reach the graph through
 * {@code Execution} and {@code CompiledPieces}. Any package above {@code graph} may import it.
 */
package io.longshort.graph.core;
