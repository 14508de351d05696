package io.longshort.spec;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * The one check of sizes against what TensorFlow and this machine can hold, run before any work
 * starts so that an absurd size is refused in milliseconds (not a 40 s OutOfMemoryError, a
 * NegativeArraySizeException, or a loop over two billion layers): a tensor's element count must
 * fit TensorFlow's int32 indexing (many kernels, and Java arrays, index with int), and the memory
 * an estimate says the work needs must fit the machine's memory (TensorFlow's tensors) or the JVM's
 * max heap (Java arrays). Every message names the field or option, its value and the limit.
 *
 * <p>Every entry point (spec builders, options of the commands) checks through here, so the limits
 * and their wording are one.
 */
public final class SizeLimits {
  /** TensorFlow's (and Java arrays') largest int32 element count. */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE;

  private SizeLimits() {}

  /**
   * Refuses a tensor of shape {@code dims} (whose size is set by {@code field} = {@code value})
   * with more than {@link #MAX_ELEMENTS} elements; returns its element count.
   */
  public static long checkElements(String field, long value, String tensor, long... dims) {
    long n = elements(dims);
    if (n > MAX_ELEMENTS) {
      long others = n == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, n / Math.max(1, value));
      throw new IllegalArgumentException(field + " (" + value + ") is too large: the " + tensor + " would hold "
          + (n == Long.MAX_VALUE ? "more than 9.2e18" : String.format(Locale.ROOT, "%.3g", (double) n))
          + " elements, more than TensorFlow's int32 limit (" + MAX_ELEMENTS + ")"
          + (others == Long.MAX_VALUE ? "" : "; " + field + " must be <= " + MAX_ELEMENTS / others + " here"));
    }
    return n;
  }

  /**
   * Refuses work that needs about {@code bytes} of TensorFlow's (native) memory when that is more
   * than this machine's memory.
   */
  public static void checkMachineMemory(String field, long value, String what, long bytes) {
    long limit = machineMemory();
    if (bytes > limit) {
      throw new IllegalArgumentException(field + " (" + value + ") is too large: " + what + " would need about "
          + human(bytes) + ", more than this machine's memory (" + human(limit) + ")");
    }
  }

  /** Refuses Java arrays of about {@code bytes} when that is more than the JVM's max heap. */
  public static void checkHeap(String field, long value, String what, long bytes) {
    long limit = Runtime.getRuntime().maxMemory();
    if (bytes > limit) {
      throw new IllegalArgumentException(field + " (" + value + ") is too large: " + what + " would need about "
          + human(bytes) + " of Java heap, more than the JVM's max heap (" + human(limit)
          + "; raise it with LONGSHORT_JAVA_OPTS=-Xmx...)");
    }
  }

  /**
   * A training batch of {@code model}: (batch, length) ids and masks, (batch, length, hiddenWidth)
   * MLP activations, and every layer's activations kept for the backward pass (about 12 D + F +
   * H (3 w + r) float32 values per position and layer), refused naming {@code option}.
   */
  public static void checkBatch(ModelSpec model, String option, long batch, long length) {
    checkElements(option, batch, "batch of token ids (batch, length " + length + ")", batch, length);
    checkElements(option, batch, "MLP activations (batch, length " + length + ", hiddenWidth "
        + model.hiddenWidth() + ")", batch, length, model.hiddenWidth());
    AttentionSpec a = model.attention();
    long perPosition = 12L * model.width() + model.hiddenWidth()
        + (long) a.heads() * (3L * Math.max(0, a.window()) + Math.max(0, a.rank()));
    checkMachineMemory(option, batch, "the batch's activations (batch, length " + length + ", " + model.layers()
        + " layers, about " + perPosition + " float32 values per position and layer)",
        elements(batch, length, model.layers(), perPosition, 4));
  }

  /** The product of {@code dims}, or Long.MAX_VALUE when it overflows. */
  public static long elements(long... dims) {
    long n = 1;
    for (long d : dims) {
      if (d <= 0) {
        return 0;
      }
      if (n > Long.MAX_VALUE / d) {
        return Long.MAX_VALUE;
      }
      n *= d;
    }
    return n;
  }

  /** {@code a * b}, saturating at Long.MAX_VALUE. */
  public static long times(long a, long b) {
    return elements(a, b);
  }

  /** {@code a + b}, saturating at Long.MAX_VALUE. */
  public static long plus(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }

  /** The machine's physical memory (the JVM's max heap when the OS does not say). */
  static long machineMemory() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      long total = os.getTotalMemorySize();
      if (total > 0) {
        return total;
      }
    }
    return Runtime.getRuntime().maxMemory();
  }

  static String human(long bytes) {
    if (bytes == Long.MAX_VALUE) {
      return "more than 8 EiB";
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }
}
