/**
 * Incremental decoding for the causal models: the key/value cache, the cached attention kinds, one
 * decode step, sampling and in-graph generation and stream scoring.
 *
 * <p><b>Internal</b> to the model families that decode; used through {@code graph.model} and by
 * {@code export} and {@code cli}. Public only where another package calls it ({@code Generation},
 * {@code StreamScoring}, {@code TransformerLsDecoder} and their pieces); {@code IncrementalDecoder} is
 * package-private. Imports {@code spec} and the other {@code graph} packages.
 */
package io.longshort.graph.decode;
