/**
 * The 1-D attention kinds (long-short, full, Linformer, Nystrom, Performer, Longformer, BigBird,
 * causal and chunked long-short) and the ops they share; {@code Attention} builds the kind an
 * {@code AttentionSpec} names.
 *
 * <p><b>Public API</b> ({@code Attention}, {@code AttentionLayer}); the per-kind emitters are its
 * implementation. Imports {@code spec} and {@code graph.core}; never {@code compile}. Imported by the
 * other {@code graph} packages and the layers above.
 */
package io.longshort.graph.attention;
