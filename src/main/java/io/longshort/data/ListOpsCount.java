package io.longshort.data;

/**
 * How many distinct ListOps expressions {@link ListOpsGenerator} can produce with a token count
 * strictly between two bounds, so that a request for more is refused at once instead of drawing
 * for ever.
 *
 * <p>Distinct expressions are distinct trees (the token sequence is prefix notation with a closing
 * {@code ]} per operator, so it parses one way). With S_h(L) the trees of height at most h (a digit
 * has height 1) and L tokens: S_1(L) = 10 [L = 1], and S_h(L) = 10 [L = 1] + 4 sum_{k=2..A}
 * S_{h-1}^{*k}(L - 2), where A is the largest argument count, *k the k-fold convolution over token
 * counts, 4 the operators and 2 the operator's token and its {@code ]}. The generator's root is at
 * depth 1 and a node at the maximum depth D is a digit, so its trees are those of height at most D.
 *
 * <p>Counted lengths go up in order, all heights at once, and stop as soon as the lengths counted
 * hold {@code enough}: O(D A L^2) for the lengths L reached. Counts are capped (at 1e30) once past
 * any request, so they stay finite.
 */
public final class ListOpsCount {
  /** Past any request (int splits); keeps products of two counts finite in a double. */
  private static final double CAP = 1e30;
  /** Lengths counted at most: beyond, the count is not computed ({@link #distinct} returns -1). */
  public static final int MAX_COUNTED_LENGTH = 4096;

  private ListOpsCount() {}

  /**
   * The number of distinct expressions with minLength &lt; tokens &lt; maxLength, depth at most
   * {@code maxDepth} and 2..{@code maxArgs} arguments per operator, or any number &gt;= {@code enough}
   * once that many are found; -1 when that needs lengths past {@link #MAX_COUNTED_LENGTH}, which are
   * not counted.
   */
  public static double distinct(int minLength, int maxLength, int maxDepth, int maxArgs, double enough) {
    if (minLength + 1 > MAX_COUNTED_LENGTH) {
      return -1;
    }
    int last = (int) Math.min((long) maxLength - 1, MAX_COUNTED_LENGTH);
    int ops = ListOpsVocab.OPERATORS.length;
    // s[h][L]: trees of height <= h + 1; p[h][k][L]: ordered k-tuples of them, L tokens in all
    double[][] s = new double[maxDepth][last + 1];
    double[][][] p = new double[maxDepth][maxArgs + 1][last + 1];
    double found = 0;
    for (int len = 1; len <= last; len++) {
      for (int h = 0; h < maxDepth; h++) {
        double n = len == 1 ? 10 : 0;
        if (h > 0 && len >= 2) {
          for (int k = 2; k <= maxArgs; k++) {
            n += ops * p[h - 1][k][len - 2];
          }
        }
        s[h][len] = Math.min(n, CAP);
        p[h][1][len] = s[h][len];
      }
      for (int h = 0; h < maxDepth - 1; h++) {
        for (int k = 2; k <= maxArgs; k++) {
          double n = 0;
          // the first argument takes l tokens, the other k - 1 the rest
          for (int l = 1; l < len; l++) {
            n += s[h][l] * p[h][k - 1][len - l];
          }
          p[h][k][len] = Math.min(n, CAP);
        }
      }
      if (len > minLength) {
        found += s[maxDepth - 1][len];
        if (found >= enough) {
          return found;
        }
      }
    }
    return last < maxLength - 1 ? -1 : found; // lengths past MAX_COUNTED_LENGTH were not counted
  }
}
