/**
 * The vision models: patch embedding, 2-D attention ({@code ImageAttention} builds the kind an
 * {@code ImageAttentionSpec} names) and {@code VisionModelGraph}, the ViL image classifier.
 *
 * <p><b>Public API</b> ({@code VisionModelGraph}, {@code ImageAttention}). Imports {@code spec} and
 * the other {@code graph} packages; imported by {@code train}, {@code export}, {@code cli} and
 * {@code bench}.
 */
package io.longshort.graph.vision;
