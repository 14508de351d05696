package io.longshort.graph.attention;

import io.longshort.spec.AttentionSpec;
import java.util.Random;

/**
 * The random projection W (F, K) of a Performer layer, drawn on the host from a seed, as
 * performer_pytorch's {@code gaussian_orthogonal_random_matrix(F, K, scaling=0)}: blocks of K
 * orthonormal rows (the Q of a Gaussian K x K matrix's QR), the last block cut to F mod K rows,
 * each row scaled by the norm of an independent Gaussian K-vector (so rows have the norms of
 * Gaussian rows but are orthogonal within a block). Drawn in plain Java rather than in the graph:
 * the matrix is a constant of the graph (a buffer, no gradient, nothing for an optimizer to
 * touch), the same in every export; a new {@code featureSeed} redraws it.
 *
 * <p>Letters: F features, K head width.
 */
final class PerformerFeatures {
  private PerformerFeatures() {}

  /** The seed layer {@code layerName} draws from: every layer its own features, as every FastAttention. */
  public static long seed(AttentionSpec.Performer spec, String layerName) {
    return spec.featureSeed() * 1_000_003L + layerName.hashCode();
  }

  /** W of layer {@code layerName}: (F, K) row-major. */
  public static double[] forLayer(AttentionSpec.Performer spec, String layerName) {
    return draw(seed(spec, layerName), spec.features(), spec.headWidth());
  }

  /** (F, K) row-major. */
  public static double[] draw(long seed, int f, int k) {
    Random rnd = new Random(seed);
    double[] w = new double[f * k];
    for (int row = 0; row < f; row += k) {
      double[][] q = orthonormalRows(rnd, k);
      for (int i = 0; i < k && row + i < f; i++) {
        System.arraycopy(q[i], 0, w, (row + i) * k, k);
      }
    }
    for (int row = 0; row < f; row++) {
      double norm = 0;
      for (int c = 0; c < k; c++) {
        double g = rnd.nextGaussian();
        norm += g * g;
      }
      norm = Math.sqrt(norm);
      for (int c = 0; c < k; c++) {
        w[row * k + c] *= norm;
      }
    }
    return w;
  }

  /**
   * K orthonormal rows: the columns of Q in the QR of a Gaussian K x K matrix, by modified
   * Gram-Schmidt (signs as R's diagonal > 0; the distribution is the same as LAPACK's Q).
   */
  private static double[][] orthonormalRows(Random rnd, int k) {
    double[][] cols = new double[k][k];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < k; c++) {
        cols[c][r] = rnd.nextGaussian();
      }
    }
    for (int c = 0; c < k; c++) {
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int r = 0; r < k; r++) {
          dot += cols[p][r] * cols[c][r];
        }
        for (int r = 0; r < k; r++) {
          cols[c][r] -= dot * cols[p][r];
        }
      }
      double norm = 0;
      for (int r = 0; r < k; r++) {
        norm += cols[c][r] * cols[c][r];
      }
      norm = Math.sqrt(norm);
      for (int r = 0; r < k; r++) {
        cols[c][r] /= norm;
      }
    }
    return cols;
  }
}
