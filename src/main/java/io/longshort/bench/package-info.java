/**
 * Benchmarks: per-layer and per-step timings, FLOP counts and peak memory for the attention kinds and
 * models ({@code BenchRunner}, {@code LayerBench}, {@code ModelStepBench}).
 *
 * <p><b>Internal</b>, run through the {@code bench} command: public only what {@code cli} and the
 * scripts call ({@code BenchRunner}, {@code BenchReport}, {@code BenchSettings}, the {@code *Main}
 * entry points the scripts name); the benches themselves are package-private; imports {@code spec}, {@code graph},
 * {@code compile}, {@code train}, {@code data} and {@code io}; imported only by {@code cli}.
 */
package io.longshort.bench;
