/**
 * Benchmarks: per-layer and per-step timings, FLOP counts and peak memory for the attention kinds and
 * models ({@code BenchRunner}, {@code LayerBench}, {@code ModelStepBench}).
 *
 * <p><b>Internal</b>, run through the {@code bench} command; imports {@code spec}, {@code graph},
 * {@code compile}, {@code train}, {@code data} and {@code io}; imported only by {@code cli}.
 */
package io.longshort.bench;
