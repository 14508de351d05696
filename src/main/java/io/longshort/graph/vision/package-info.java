/**
 * The vision models: patch embedding, 2-D attention ({@code ImageAttention} builds the kind an
 * {@code ImageAttentionSpec} names) and {@code VisionModelGraph}, the ViL image classifier.
 *
 * <p><b>Public API</b> ({@code VisionModelGraph}, {@code ImageAttention}, {@code ImageAttentionGraph}
 * and the patch embeddings); the 2-D attention kinds ({@code FullAttention2d},
 * {@code LongShortAttention2d}) are package-private, built through {@code ImageAttention}. Imports {@code spec} and
 * the other {@code graph} packages; imported by {@code train}, {@code export}, {@code cli} and
 * {@code bench}.
 */
package io.longshort.graph.vision;
