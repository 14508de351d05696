package io.longshort.spec;

/**
 * A spec of any kind at a given width and heads with the authors' LRA defaults for the fields the
 * kind needs (their {@code run_tasks.py}: linformer_k 256, num_landmarks 128, rp_dim 256), for commands that
 * swap a model's attention kind ({@code train --attention KIND}, {@code bench}) so that every kind
 * trains and runs from one command line. Callers override fields after.
 */
public final class AttentionDefaults {
  /** The authors' LRA default {@code linformer_k}. */
  public static final int LINFORMER_RANK = 256;
  /** The authors' LRA default {@code num_landmarks}. */
  public static final int NYSTROM_LANDMARKS = 128;

  /** The authors' LRA default {@code rp_dim}, Performer's number of features. */
  public static final int PERFORMER_FEATURES = 256;

  /**
   * Longformer's attention_window here: 2 x 8 + 1 = 17 keys, about the (w, r) = (8, 32) long-short
   * layer's window of 16 + 8 (transformers' default 512 is for pretrained models at length 4096).
   */
  public static final int LONGFORMER_WINDOW = 16;

  /** BigBird's block size here (transformers' default 64 is for pretrained models at length 4096). */
  public static final int BIGBIRD_BLOCK = 16;

  private AttentionDefaults() {}

  /**
   * A builder of {@code kind} with width and heads set and every other required field at its
   * default; long-short kinds take window, rank and segment from {@code like} when it is of the
   * same family (else the paper's LRA (w, r) = (8, 32)).
   */
  public static AttentionSpec.Builder of(AttentionKind kind, int width, int heads, AttentionSpec like) {
    AttentionSpec.Builder b = AttentionSpec.builder(kind).setWidth(width).setHeads(heads);
    boolean sameFamily = like != null && like.kind().isLongShort();
    switch (kind) {
      case LONG_SHORT -> b.setWindow(sameFamily ? like.window() : 8).setRank(sameFamily ? like.rank() : 32);
      case CAUSAL_LONG_SHORT -> {
        boolean causal = like != null && like.kind() == AttentionKind.CAUSAL_LONG_SHORT;
        b.setWindow(causal ? like.window() : 8).setSegment(causal ? like.segment() : 16)
            .setRank(causal ? like.rank() : 1);
      }
      case FULL, CAUSAL_FULL -> { }
      case LINFORMER -> b.setRank(LINFORMER_RANK);
      case NYSTROM -> b.setLandmarks(NYSTROM_LANDMARKS);
      case PERFORMER -> b.setFeatures(PERFORMER_FEATURES);
      case LONGFORMER -> b.setWindow(LONGFORMER_WINDOW);
      case BIGBIRD -> b.setBlockSize(BIGBIRD_BLOCK);
      default -> throw new AssertionError(kind);
    }
    return b;
  }
}
