package io.longshort.cli;

import java.util.Locale;
import picocli.CommandLine;

/**
 * Checks of command-line values that name the option the user typed, the value and what is
 * allowed ({@code --batch (0) must be >= 1}), before a value reaches a spec or config whose own
 * message would name an internal field instead. One place for the wording, so every command says
 * it the same way.
 */
final class OptionChecks {
  private OptionChecks() {}

  static void require(boolean ok, String option, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(option + " (" + value + ") " + allowed);
    }
  }

  static void atLeast(String option, long value, long min) {
    require(value >= min, option, value, "must be >= " + min);
  }

  static void inRange(String option, long value, long min, long max) {
    require(value >= min && value <= max, option, value, "must be in " + min + ".." + max);
  }

  /** A finite number > 0 (NaN and infinities fail with the same message however they were spelt). */
  static void positiveFinite(String option, double value) {
    require(value > 0 && Double.isFinite(value), option, value, "must be a finite number > 0");
  }

  /**
   * A learning rate: a finite number > 0 that float32 (the variables' and the optimizer's type)
   * holds as a normal number; 1e-46 would train at 0.
   */
  static void learningRate(String option, double value) {
    positiveFinite(option, value);
    require(value >= Float.MIN_NORMAL && value <= Float.MAX_VALUE, option, value,
        "is outside float32's normal range (" + Float.MIN_NORMAL + " .. " + Float.MAX_VALUE
            + "): the optimizer computes in float32, where it would " + (value < Float.MIN_NORMAL ? "underflow to 0 or lose its precision" : "overflow"));
  }

  /** A finite number >= 0. */
  static void nonNegativeFinite(String option, double value) {
    require(value >= 0 && Double.isFinite(value), option, value, "must be a finite number >= 0");
  }

  /**
   * Reads doubles as Java does, and also {@code nan}, {@code inf}, {@code -infinity} in any case,
   * so that {@code --lr nan} reaches the option's check and gets the message {@code --lr NaN} gets,
   * rather than picocli's "is not a double".
   */
  static final class DoubleConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      String unsigned = v.startsWith("+") || v.startsWith("-") ? v.substring(1) : v;
      if (unsigned.equals("nan")) {
        return Double.NaN;
      }
      if (unsigned.equals("inf") || unsigned.equals("infinity")) {
        return v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
      try {
        return Double.valueOf(value.trim());
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a number");
      }
    }
  }
}
