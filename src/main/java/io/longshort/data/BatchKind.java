package io.longshort.data;

/** What a batch holds, by model task. */
public enum BatchKind {
  /** input_ids, mask (B, N); labels (B). */
  CLASSIFICATION,
  /** input_ids_0, mask_0, input_ids_1, mask_1 (B, N); labels (B). */
  RETRIEVAL,
  /** input_ids, mask, targets (B, N): targets are the next byte of each input position. */
  LANGUAGE_MODEL
}
