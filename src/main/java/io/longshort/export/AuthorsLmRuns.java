package io.longshort.export;

import io.longshort.graph.model.TransformerLsServingModel;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.Trainer;
import io.longshort.train.TruncatedBpttTrainer;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.types.TFloat32;

/**
 * A train-lm run (the authors' LM, {@link TruncatedBpttTrainer}) as {@link Export#fromRun} rebuilds
 * it: a {@link TransformerLsServingModel} of the run's spec, scored in the run's block M, with a
 * static batch B and capacity C (tokens per row; a multiple of M), since the authors' graph streams
 * the blocks and the cache with static shapes.
 */
final class AuthorsLmRuns {
  /** B when none is given: one row per request. */
  static final int DEFAULT_BATCH = 1;
  /** C when none is given: the smallest multiple of the block that holds this many tokens. */
  static final int DEFAULT_CAPACITY_TOKENS = 512;

  private AuthorsLmRuns() {}

  /**
   * Whether a checkpoint's metadata is a train-lm run's: its recorded family, or (runs written
   * before the family was recorded) its truncated-BPTT lanes and block with no family.
   */
  static boolean trainedBy(Map<String, String> meta) {
    String family = meta.get(Trainer.FAMILY);
    if (family != null) {
      return family.equals(TruncatedBpttTrainer.FAMILY);
    }
    return meta.containsKey("model") && meta.containsKey(TruncatedBpttTrainer.LANES)
        && meta.containsKey(TruncatedBpttTrainer.BLOCK);
  }

  /**
   * The serving graph of the run whose checkpoint {@code file} has metadata {@code meta}, its
   * weights not yet loaded.
   *
   * @param batch B, or null for {@link #DEFAULT_BATCH}
   * @param capacity C, or null for the smallest multiple of M of at least {@link #DEFAULT_CAPACITY_TOKENS}
   */
  static TransformerLsServingModel<TFloat32> serving(Map<String, String> meta, Path file, Integer batch,
      Integer capacity) {
    TransformerLsSpec spec = TransformerLsSpec.parseJson(meta.get("model"));
    int block = Integer.parseInt(meta.get(TruncatedBpttTrainer.BLOCK));
    if (spec.paddedBlock(block) != block) {
      throw new IllegalArgumentException("run " + runOf(file) + " trained blocks of " + block + " tokens, which the"
          + " authors' forward pads to " + spec.paddedBlock(block) + "; the serving graph streams unpadded blocks"
          + " (a multiple of chunk_size " + spec.chunkSize() + "): train with such a --block to export it");
    }
    int b = batch != null ? batch : DEFAULT_BATCH;
    if (b < 1) {
      throw new IllegalArgumentException("batch (" + b + ") must be >= 1: the authors' serving graph has a static"
          + " batch");
    }
    int c = capacity != null ? capacity : (DEFAULT_CAPACITY_TOKENS + block - 1) / block * block;
    if (c < block || c % block != 0) {
      throw new IllegalArgumentException("length (" + c + ") must be a positive multiple of the run's block ("
          + block + "): the capacity C of the authors' serving graph is streamed block by block");
    }
    return TransformerLsServingModel.build(spec, TFloat32.class, b, c, block);
  }

  private static Path runOf(Path checkpoint) {
    Path dir = checkpoint.toAbsolutePath().getParent();
    return dir != null && dir.getParent() != null ? dir.getParent() : checkpoint;
  }
}
