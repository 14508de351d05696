/**
 * Training data: the readers for the LRA tasks, ListOps, byte and word corpora ({@code RowReader}s),
 * examples and batches ({@code Example}, {@code Batcher}, {@code Batch}: host arrays by feed name;
 * {@code BatchSource}: batches by global index, as training reads them) and BPTT streams.
 *
 * <p><b>Public API</b> (readers, {@code Example}, {@code Batcher}, {@code Batch}, {@code BatchSource}). A leaf: it imports only
 * {@code io}; imported by {@code train}, {@code cli} and {@code bench}.
 */
package io.longshort.data;
