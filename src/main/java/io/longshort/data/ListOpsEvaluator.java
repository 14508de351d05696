package io.longshort.data;

import java.util.Arrays;

/**
 * Evaluates ListOps expressions: MIN, MAX, MED (median; for an even count the mean of the two
 * middle values, truncated), SM (sum mod 10). Independent of the generator, which computes labels
 * while it builds a tree; tests check one against the other.
 */
public final class ListOpsEvaluator {
  private ListOpsEvaluator() {}

  /** The value of an expression in plain or LRA (parenthesised) form. */
  public static int evaluate(String expression) {
    return evaluate(ListOpsVocab.encode(expression));
  }

  /** The value of an expression given as token ids. */
  public static int evaluate(byte[] ids) {
    if (ids.length == 0) {
      throw new IllegalArgumentException("empty ListOps expression");
    }
    // operands of the open operators, flat: values[frame start .. top)
    int[] values = new int[ids.length];
    int top = 0;
    int[] opStack = new int[ids.length];
    int[] frameStart = new int[ids.length];
    int sp = 0;
    Integer result = null;
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      int value;
      if (ListOpsVocab.isOperator(id)) {
        opStack[sp] = id;
        frameStart[sp] = top;
        sp++;
        continue;
      } else if (ListOpsVocab.isDigit(id)) {
        value = id - 1;
      } else if (id == ListOpsVocab.END) {
        if (sp == 0) {
          throw new IllegalArgumentException("']' at token " + (i + 1) + " closes no operator");
        }
        sp--;
        int from = frameStart[sp];
        if (top == from) {
          throw new IllegalArgumentException(ListOpsVocab.symbol(opStack[sp]) + " closed at token "
              + (i + 1) + " has no arguments");
        }
        value = apply(opStack[sp], values, from, top);
        top = from;
      } else {
        throw new IllegalArgumentException("id " + id + " at token " + (i + 1) + " is not a ListOps token");
      }
      if (sp == 0) {
        if (result != null || i != ids.length - 1) {
          throw new IllegalArgumentException("tokens after the end of the expression at token " + (i + 2));
        }
        result = value;
      } else {
        values[top++] = value;
      }
    }
    if (sp != 0 || result == null) {
      throw new IllegalArgumentException(sp + " operator(s) not closed by ']'");
    }
    return result;
  }

  /** Applies operator {@code op} (an id, MIN..SM) to {@code v[from, to)}. */
  static int apply(int op, int[] v, int from, int to) {
    switch (op) {
      case ListOpsVocab.MIN: {
        int m = Integer.MAX_VALUE;
        for (int i = from; i < to; i++) {
          m = Math.min(m, v[i]);
        }
        return m;
      }
      case ListOpsVocab.MAX: {
        int m = Integer.MIN_VALUE;
        for (int i = from; i < to; i++) {
          m = Math.max(m, v[i]);
        }
        return m;
      }
      case ListOpsVocab.MED: {
        int[] s = Arrays.copyOfRange(v, from, to);
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; // int(np.median): truncated
      }
      case ListOpsVocab.SM: {
        int sum = 0;
        for (int i = from; i < to; i++) {
          sum += v[i];
        }
        return sum % 10;
      }
      default:
        throw new IllegalArgumentException("id " + op + " is not an operator");
    }
  }
}
