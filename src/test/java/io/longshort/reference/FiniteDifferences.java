package io.longshort.reference;

import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * The one finite-difference comparison of the whole-model gradient tests: central differences of
 * the loss at a few random elements of each parameter against the graph's gradients, as relative
 * errors (floored at 1e-3 of the largest gradient, so near-zero gradients do not dominate).
 */
public final class FiniteDifferences {
  /** The worst relative error and where it was. */
  public record Worst(double error, String where) {}

  private FiniteDifferences() {}

  /**
   * @param names the parameters' names, in the order of {@code values} and {@code analytic}
   * @param values the parameters' values, fed by {@code loss}; perturbed in place and restored
   * @param analytic the graph's gradient of each parameter
   * @param perParameter how many random elements of each parameter to check
   * @param loss the loss at the current {@code values}
   */
  public static Worst compare(List<String> names, List<double[]> values, double[][] analytic, int perParameter,
      double step, Random rnd, DoubleSupplier loss) {
    double scale = 0;
    for (double[] a : analytic) {
      for (double v : a) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    double worst = 0;
    String where = "";
    for (int i = 0; i < values.size(); i++) {
      double[] v = values.get(i);
      for (int k = 0; k < perParameter; k++) {
        int j = rnd.nextInt(v.length);
        double saved = v[j];
        v[j] = saved + step;
        double plus = loss.getAsDouble();
        v[j] = saved - step;
        double minus = loss.getAsDouble();
        v[j] = saved;
        double numeric = (plus - minus) / (2 * step);
        double err = Math.abs(numeric - analytic[i][j]) / Math.max(Math.abs(numeric), 1e-3 * scale);
        if (err > worst) {
          worst = err;
          where = names.get(i) + "[" + j + "]: numeric " + numeric + ", TF " + analytic[i][j];
        }
      }
    }
    return new Worst(worst, where);
  }
}
