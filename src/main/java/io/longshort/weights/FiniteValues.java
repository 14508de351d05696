package io.longshort.weights;

import java.util.Optional;

/** Finds NaN and infinite values, so that damaged (diverged) weights are named, never exported. */
public final class FiniteValues {
  private FiniteValues() {}

  /**
   * Empty when every value is finite; else what is wrong, e.g. {@code 'norm.weight' has 3 NaN and
   * 1 infinite of 64 values (the first at index 5: NaN)}.
   */
  public static Optional<String> problem(String name, double[] values) {
    long nan = 0;
    long inf = 0;
    int first = -1;
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (Double.isNaN(v)) {
        nan++;
      } else if (Double.isInfinite(v)) {
        inf++;
      } else {
        continue;
      }
      if (first < 0) {
        first = i;
      }
    }
    if (first < 0) {
      return Optional.empty();
    }
    String counts = nan > 0 && inf > 0 ? nan + " NaN and " + inf + " infinite"
        : nan > 0 ? nan + " NaN" : inf + " infinite";
    return Optional.of("'" + name + "' has " + counts + " of " + values.length + " values (the first at index "
        + first + ": " + values[first] + ")");
  }

  /** The first floating tensor of {@code st} that holds a value that is not finite, described. */
  public static Optional<String> problem(Safetensors st) throws java.io.IOException {
    for (String name : st.names()) {
      if (st.info(name).dtype().isFloating()) {
        Optional<String> p = problem(name, st.readDoubles(name));
        if (p.isPresent()) {
          return p;
        }
      }
    }
    return Optional.empty();
  }
}
