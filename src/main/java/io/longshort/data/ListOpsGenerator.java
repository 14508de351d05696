package io.longshort.data;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The LRA ListOps generator ({@code lra_benchmarks/data/listops.py}), seeded and deterministic.
 *
 * <p>A node at depth d (the root is at depth 1) below {@code maxDepth} (10) is a digit 0..9 with
 * probability 0.75 (a uniform draw r in [0, 1) with r &gt; 0.25), else an operator with 2..maxArgs
 * (10) arguments, uniform, each generated recursively at depth d + 1, and the operator (MIN, MAX,
 * MED, SM, uniform) drawn after its arguments as in the LRA code; at {@code maxDepth} a node is
 * always a digit. The token count is digits + 2 per operator (the operator and its {@code ]}).
 * Expressions are kept when minLength &lt; tokens &lt; maxLength (strictly; LRA: 500 and 2000), and
 * duplicates are dropped. The label is computed while the tree is built.
 *
 * <p>Random numbers come from {@link SplittableRandom} (seed): the same seed gives the same
 * sequence of expressions; the sequence is not the Python generator's (different random source),
 * the distribution is.
 *
 * <p>Duplicates are detected by a 128-bit fingerprint of the token ids, so the generator can stream
 * without holding every expression: a duplicate is never let through; two different expressions
 * with the same fingerprint (probability about n²/2¹²⁹) would drop the second one.
 */
public final class ListOpsGenerator implements Iterator<ListOpsExample> {
  public static final int DEFAULT_MIN_LENGTH = 500;
  public static final int DEFAULT_MAX_LENGTH = 2000;
  public static final int DEFAULT_MAX_DEPTH = 10;
  public static final int DEFAULT_MAX_ARGS = 10;
  static final double VALUE_P = 0.25;

  private final SplittableRandom rng;
  private final int minLength;
  private final int maxLength;
  private final int maxDepth;
  private final int maxArgs;
  private final Set<Fingerprint> seen = new HashSet<>();
  private byte[] buf = new byte[4096];
  private int size;
  private long length;
  private long tried;
  private long duplicates;

  /** LRA defaults: lengths (500, 2000), depth 10, up to 10 arguments. */
  public ListOpsGenerator(long seed) {
    this(seed, DEFAULT_MIN_LENGTH, DEFAULT_MAX_LENGTH);
  }

  public ListOpsGenerator(long seed, int minLength, int maxLength) {
    this(seed, minLength, maxLength, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ARGS);
  }

  public ListOpsGenerator(long seed, int minLength, int maxLength, int maxDepth, int maxArgs) {
    if (minLength < 0) {
      throw new IllegalArgumentException("min length (" + minLength + ") must be >= 0");
    }
    if (maxLength <= minLength + 1) {
      throw new IllegalArgumentException("max length (" + maxLength + ") must be > min length + 1 ("
          + (minLength + 1) + "): lengths are kept strictly between the two");
    }
    if (maxDepth < 2) {
      throw new IllegalArgumentException("max depth (" + maxDepth + ") must be >= 2: depth 1 is the root");
    }
    if (maxArgs < 2) {
      throw new IllegalArgumentException("max arguments (" + maxArgs + ") must be >= 2");
    }
    if (minLength >= maxLengthReachable(maxDepth, maxArgs)) {
      throw new IllegalArgumentException("min length (" + minLength + ") cannot be exceeded with depth "
          + maxDepth + " and " + maxArgs + " arguments");
    }
    this.rng = new SplittableRandom(seed);
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.maxDepth = maxDepth;
    this.maxArgs = maxArgs;
  }

  private static double maxLengthReachable(int depth, int args) {
    double len = 1; // a full tree: every node above maxDepth an operator with maxArgs arguments
    for (int d = depth - 1; d >= 1; d--) {
      len = 2 + args * len;
    }
    return len;
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  /** The next kept, new expression. */
  @Override
  public ListOpsExample next() {
    while (true) {
      size = 0;
      length = 0;
      tried++;
      int value = node(1);
      if (length > minLength && length < maxLength) {
        byte[] ids = Arrays.copyOf(buf, size);
        if (seen.add(Fingerprint.of(ids))) {
          return new ListOpsExample(ids, value);
        }
        duplicates++;
      }
    }
  }

  /** Trees generated so far, kept or not. */
  public long tried() {
    return tried;
  }

  /** Kept-length trees dropped as duplicates so far. */
  public long duplicates() {
    return duplicates;
  }

  private int node(int depth) {
    double r = depth < maxDepth ? rng.nextDouble() : 1.0;
    if (r > VALUE_P) {
      int digit = rng.nextInt(10);
      put(ListOpsVocab.digitId(digit));
      return digit;
    }
    int n = 2 + rng.nextInt(maxArgs - 1); // random.randint(2, max_args), inclusive
    long opAt = length;
    put(0); // the operator, drawn after its arguments
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      values[i] = node(depth + 1);
    }
    int op = rng.nextInt(ListOpsVocab.OPERATORS.length);
    if (opAt < buf.length && opAt < size) {
      buf[(int) opAt] = (byte) (ListOpsVocab.MIN + op);
    }
    put(ListOpsVocab.END);
    return value(op, values);
  }

  /** Counts every token; stores them only while the tree can still be kept. */
  private void put(int id) {
    length++;
    if (length >= maxLength) {
      return;
    }
    if (size == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    buf[size++] = (byte) id;
  }

  /** The operator's value, written out separately from {@link ListOpsEvaluator}. */
  private static int value(int op, int[] v) {
    switch (op) {
      case 0:
        return Arrays.stream(v).min().getAsInt();
      case 1:
        return Arrays.stream(v).max().getAsInt();
      case 2: {
        int[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (int) ((s[m - 1] + s[m]) / 2.0);
      }
      default:
        return Arrays.stream(v).sum() % 10;
    }
  }

  /** Two independent 64-bit hashes of the ids. */
  private record Fingerprint(long a, long b) {
    static Fingerprint of(byte[] ids) {
      long a = 0xcbf29ce484222325L;
      long b = 0x9E3779B97F4A7C15L ^ ids.length;
      for (byte x : ids) {
        a = (a ^ x) * 0x100000001b3L;
        b = mix(b + x + 0x632BE59BD9B4E019L);
      }
      return new Fingerprint(mix(a ^ ids.length), b);
    }

    private static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }
  }
}
