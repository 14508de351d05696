/**
 * Weights on disk: safetensors read and write ({@code Safetensors}, {@code SafetensorsWriter}),
 * checksums, finite-value checks, loading into a model's parameters ({@code WeightLoader}) and the
 * authors' MsViT weight names.
 *
 * <p><b>Public API.</b> Imports {@code io} and, to load into a model, {@code graph.core}'s
 * {@code Parameters}; imported by {@code train}, {@code export} and {@code cli}.
 */
package io.longshort.weights;
