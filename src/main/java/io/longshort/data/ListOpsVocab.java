package io.longshort.data;

import java.util.Arrays;

/**
 * The LRA ListOps vocabulary with fixed ids, and the tokenizer between expression text and ids.
 *
 * <pre>
 *   0        padding
 *   1..10    the digits 0..9 (id = digit + 1)
 *   11..14   [MIN  [MAX  [MED  [SM
 *   15       ]   (its own symbol)
 *   16       unused (the slot of an out-of-vocabulary id in the LRA TokenTextEncoder)
 *   17       CLS: reserved for CLS pooling (vocab - 1 in the shipped lra_listops config)
 * </pre>
 *
 * <p>Real tokens use ids 1..15 only, so {@link #VOCAB_SIZE} = 18 fits the lra_listops config
 * (vocabSize 18) and the CLS id 17 never collides with a token. The LRA files wrap the expression
 * in nested parentheses ({@code ( ( ( [MAX 2 ) 9 ) ] )}); the tokenizer drops {@code (} and
 * {@code )} as the LRA loaders do, so both that form and the plain {@code [MAX 2 9 ]} are read.
 */
public final class ListOpsVocab {
  private ListOpsVocab() {}

  public static final int PAD = 0;
  public static final int MIN = 11;
  public static final int MAX = 12;
  public static final int MED = 13;
  public static final int SM = 14;
  public static final int END = 15;
  /** Vocabulary size the ids fit into, CLS included. */
  public static final int VOCAB_SIZE = 18;
  /** The id reserved for the CLS token (VOCAB_SIZE - 1); never produced by {@link #encode}. */
  public static final int CLS = VOCAB_SIZE - 1;

  /** Operator symbols in generator order (index 0..3 = MIN, MAX, MED, SM). */
  static final String[] OPERATORS = {"[MIN", "[MAX", "[MED", "[SM"};

  public static int digitId(int digit) {
    return digit + 1;
  }

  public static boolean isDigit(int id) {
    return id >= 1 && id <= 10;
  }

  public static boolean isOperator(int id) {
    return id >= MIN && id <= SM;
  }

  /** The symbol of an id ({@code "7"}, {@code "[MED"}, {@code "]"}). */
  public static String symbol(int id) {
    if (isDigit(id)) {
      return Integer.toString(id - 1);
    }
    if (isOperator(id)) {
      return OPERATORS[id - MIN];
    }
    if (id == END) {
      return "]";
    }
    throw new IllegalArgumentException("id " + id + " is not a ListOps token (tokens are 1..15)");
  }

  /** The id of one symbol, or -1 when it is not in the vocabulary. */
  public static int id(String symbol) {
    if (symbol.length() == 1) {
      char c = symbol.charAt(0);
      if (c >= '0' && c <= '9') {
        return digitId(c - '0');
      }
      return c == ']' ? END : -1;
    }
    for (int i = 0; i < OPERATORS.length; i++) {
      if (OPERATORS[i].equals(symbol)) {
        return MIN + i;
      }
    }
    return -1;
  }

  /**
   * Token ids of an expression in either form; parentheses are dropped, {@code ]} may also touch
   * its neighbour ({@code 9]}). Unknown symbols fail with the symbol and its position.
   */
  public static byte[] encode(CharSequence text) {
    byte[] out = new byte[Math.max(16, text.length() / 2)];
    int n = 0;
    int i = 0;
    int len = text.length();
    while (i < len) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\t' || c == '(' || c == ')' || c == '\r' || c == '\n') {
        i++;
        continue;
      }
      int id;
      int start = i;
      if (c == ']') {
        id = END;
        i++;
      } else {
        while (i < len && !isBreak(text.charAt(i))) {
          i++;
        }
        id = id(text.subSequence(start, i).toString());
        if (id < 0) {
          throw new IllegalArgumentException("unknown ListOps token '" + text.subSequence(start, i)
              + "' at character " + (start + 1));
        }
      }
      if (n == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[n++] = (byte) id;
    }
    return Arrays.copyOf(out, n);
  }

  private static boolean isBreak(char c) {
    return c == ' ' || c == '\t' || c == '(' || c == ')' || c == ']' || c == '\r' || c == '\n';
  }

  /** The plain form, tokens separated by one space: {@code [MAX 2 9 [MIN 4 7 ] 0 ]}. */
  public static String decode(byte[] ids) {
    StringBuilder sb = new StringBuilder(ids.length * 2);
    for (int i = 0; i < ids.length; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(symbol(ids[i]));
    }
    return sb.toString();
  }

  /**
   * The LRA file form, as the LRA generator's {@code to_string} writes its nested tuples: an
   * operator with k arguments becomes {@code "( "} x (k + 1), the operator, then {@code " arg )"}
   * per argument and {@code " ] )"}; e.g. {@code [MAX 2 9 ]} is {@code ( ( ( [MAX 2 ) 9 ) ] )}.
   */
  public static String toLraSource(byte[] ids) {
    int[] args = argumentCounts(ids);
    StringBuilder sb = new StringBuilder(ids.length * 5);
    // depth > 0 while inside an operator: every child is preceded by " " and followed by " )"
    int depth = 0;
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (id == END) {
        sb.append(" ] )");
        depth--;
        closeChild(sb, depth);
        continue;
      }
      if (depth > 0) {
        sb.append(' ');
      }
      if (isDigit(id)) {
        sb.append((char) ('0' + id - 1));
        closeChild(sb, depth);
      } else {
        sb.append("( ".repeat(args[i] + 1)).append(OPERATORS[id - MIN]);
        depth++;
      }
    }
    return sb.toString();
  }

  private static void closeChild(StringBuilder sb, int depth) {
    if (depth > 0) {
      sb.append(" )");
    }
  }

  /**
   * For each operator position, its number of direct arguments (0 elsewhere); checks nesting and
   * that the ids are one expression: one root, as the LRA form can only write one (several roots
   * would run together, "7 0" written as the token "70"; found by fuzzing the TSV writer).
   */
  static int[] argumentCounts(byte[] ids) {
    int[] counts = new int[ids.length];
    int[] stack = new int[ids.length + 1];
    int sp = 0;
    int roots = 0;
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (sp == 0 && id != END && ++roots > 1) {
        throw new IllegalArgumentException("token " + (i + 1) + " starts a second expression; a ListOps example"
            + " is one expression (one digit or one operator with its arguments)");
      }
      if (id == END) {
        if (sp == 0) {
          throw new IllegalArgumentException("']' at token " + (i + 1) + " closes no operator");
        }
        sp--;
        if (sp > 0) {
          counts[stack[sp - 1]]++;
        }
      } else if (isOperator(id)) {
        stack[sp++] = i;
      } else if (isDigit(id)) {
        if (sp > 0) {
          counts[stack[sp - 1]]++;
        }
      } else {
        throw new IllegalArgumentException("id " + id + " at token " + (i + 1) + " is not a ListOps token");
      }
    }
    if (sp != 0) {
      throw new IllegalArgumentException(sp + " operator(s) not closed by ']'");
    }
    if (roots == 0) {
      throw new IllegalArgumentException("no tokens: a ListOps example is one expression");
    }
    return counts;
  }
}
