/**
 * The 1-D attention kinds (long-short, full, Linformer, Nystrom, Performer, Longformer, BigBird,
 * causal and chunked long-short) and the ops they share; {@code Attention} builds the kind an
 * {@code AttentionSpec} names.
 *
 * <p><b>Public API</b>: {@code Attention} (one kind's layer applied, as a function), {@code TransformerBlock}
 * and {@code AttentionGraph}, plus {@code ChunkedLongShortAttention} and the shared {@code AttentionOps} and {@code LongShortWeights} that
 * {@code graph.decode} and {@code graph.vision} build on. The per-kind emitters, {@code AttentionLayer},
 * {@code BigBirdPlan} and {@code PerformerFeatures} are package-private implementation. Imports {@code spec} and {@code graph.core}; never {@code compile}. Imported by the
 * other {@code graph} packages and the layers above.
 */
package io.longshort.graph.attention;
