package io.longshort.bench;

import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;

/**
 * Floating-point operations of one attention layer's forward pass, counted as 2 per
 * multiply-add of its matrix products (the work the hardware does, padded window keys included;
 * softmax, LayerNorm and element-wise ops are left out, as in the usual GFLOP/s figures).
 *
 * <p>Letters: N length (rounded up to the window for long-short), D width, H heads, W window,
 * E = max(W/2, 1) window margin, R rank.
 */
public final class Flops {
  private Flops() {}

  public static double forward(AttentionSpec spec, long batch, long n) {
    double d = spec.width();
    double projections = 4 * 2 * d * d; // W_q, W_k, W_v, W_o per token
    if (spec.kind() == AttentionKind.FULL || spec.kind() == AttentionKind.CAUSAL_FULL) {
      // QK^T and PV over all N keys, per token
      return batch * n * (projections + 2 * 2 * n * d);
    }
    if (spec.kind() != AttentionKind.LONG_SHORT) {
      throw new IllegalArgumentException("FLOP count for attention kind " + spec.kind().jsonName()
          + " is not implemented; allowed: long_short, full");
    }
    long w = spec.window();
    long np = w > 0 ? (n + w - 1) / w * w : n;
    double r = spec.rank();
    double e = Math.max(w / 2, 1);
    double windowKeys = w > 0 ? w + 2 * e : 0;
    // W_q, W_k, W_v and the rest see the padded rows; W_o only the N real ones
    double perPaddedToken = 3 * 2 * d * d
        + 2 * d * spec.heads() * r   // dconv_fc scores
        + 2 * 2 * r * d              // projected keys and values P K, P V
        + 2 * 2 * r * d              // logits against and output from the R slots
        + 2 * 2 * windowKeys * d;    // window logits and window output
    return batch * (np * perPaddedToken + n * 2 * d * d);
  }
}
