package io.longshort.bench;

import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;

/**
 * Floating-point operations of one attention layer's forward pass, counted as 2 per
 * multiply-add of its matrix products (the work the hardware does, padded window keys included;
 * softmax, LayerNorm and element-wise ops are left out, as in the usual GFLOP/s figures, and so
 * is the baselines' depth-wise value convolution, C multiply-adds per value).
 *
 * <p>Letters: N length (rounded up to the window for long-short), D width, H heads, W window,
 * E = max(W/2, 1) window margin (longformer: W/2), R rank (linformer: its projected length), M
 * landmarks, F performer features, G longformer global positions.
 */
final class Flops {
  private Flops() {}

  public static double forward(AttentionSpec spec, long batch, long n) {
    double d = spec.width();
    double projections = 4 * 2 * d * d; // W_q, W_k, W_v, W_o per token
    if (spec.kind() == AttentionKind.FULL || spec.kind() == AttentionKind.CAUSAL_FULL) {
      // QK^T and PV over all N keys, per token
      return batch * n * (projections + 2 * 2 * n * d);
    }
    double h = spec.heads();
    switch (spec.kind()) {
      case LINFORMER -> {
        // padded to maxLength; E K, E V, the logits against and the output from the R projections
        long np = spec.maxLength() > 0 ? spec.maxLength() : n;
        double r = spec.rank();
        return batch * (np * (3 * 2 * d * d + 2 * 2 * r * d + 2 * 2 * r * d) + n * 2 * d * d);
      }
      case NYSTROM -> {
        double m = spec.landmarks();
        long np = (n + spec.landmarks() - 1) / spec.landmarks() * spec.landmarks();
        if (m == np) {
          return batch * (np * (3 * 2 * d * d + 2 * 2 * np * d) + n * 2 * d * d);
        }
        // kernels 1 and 3 (logits and products with V), kernel 1 times the pseudo-inverse, then times
        // kernel 3 V; the inverse: 6 iterations of 4 (M x M) products per head
        double perToken = 3 * 2 * d * d + 2 * m * d + 2 * m * d + 2 * m * d + 2 * m * m * h + 2 * m * d;
        // per batch row: the landmark kernel's logits (M x M x D) and the inverse
        return batch * (np * perToken + n * 2 * d * d + 2 * m * m * d + h * 6 * 4 * 2 * m * m * m);
      }
      case PERFORMER -> {
        double f = spec.features();
        // features of queries and keys, phi(K)^T V, phi(Q) times that, and the normaliser
        return batch * n * (projections + 2 * 2 * f * d + 2 * f * d + 2 * f * d + 2 * f * h);
      }
      case LONGFORMER -> {
        double e = spec.window() / 2;
        double g = spec.globalTokens();
        long np = (n + (long) e - 1) / (long) e * (long) e;
        // window tiles of 3E keys, the G global keys; global rows: key_global, value_global of all
        double perPaddedToken = 3 * 2 * d * d + 2 * 2 * 3 * e * d + 2 * 2 * g * d + (g > 0 ? 2 * 2 * d * d : 0);
        return batch * (np * perPaddedToken + g * 2 * d * d + g * 2 * 2 * np * d + n * 2 * d * d);
      }
      case BIGBIRD -> {
        double w = spec.blockSize();
        long np = (n + (long) w - 1) / (long) w * (long) w;
        double blocks = np / w;
        double l = 5 + spec.randomBlocks();
        // the 2 global query blocks against all Np keys; the middle ones against L W keys
        return batch * (np * 3 * 2 * d * d + 2 * w * 2 * 2 * np * d + (np - 2 * w) * 2 * 2 * l * w * d
            + n * 2 * d * d);
      }
      case LONG_SHORT -> { }
      default -> throw new IllegalArgumentException("FLOP count for attention kind " + spec.kind().jsonName()
          + " is not implemented");
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
