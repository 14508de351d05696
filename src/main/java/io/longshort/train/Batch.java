package io.longshort.train;

import java.util.Map;

/**
 * One batch as the model's placeholders want it: int32 inputs by name, row-major (B, N), and the
 * labels (B) or, for language models, the next-byte targets (B, N).
 */
public record Batch(int size, Map<String, int[]> inputs, int[] labels) {}
