package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * Longformer, as Hugging Face transformers' {@code LongformerSelfAttention} followed by an output
 * projection W_o: a local query t sees the keys within E = window/2 of it, except padding and the
 * global positions, plus every global key, in one softmax (query, key, value projections); the
 * G global positions (the first G, unless padding) attend to every real key through their own
 * query_global, key_global, value_global projections. Padded query rows give 0 before W_o.
 *
 * <p>The window is computed in blocks of E queries against the 3E keys of their block and its two
 * neighbours ({@link AttentionOps#neighbourTiles}), masked to the band |t - j| <= E, instead of
 * transformers' diagonal chunks: the same scores, static shapes, no gather.
 *
 * <p>Letters: B batch, N length, Np = N rounded up to a multiple of E, D width, H heads, K head
 * width, E one-sided window, S = Np/E blocks, G global positions. Nothing here is N x N: the
 * largest tensors are (B, H, Np, 3E + G) and (B, H, G, Np).
 *
 * <p>Parameters (transformers' names): query, key, value, query_global, key_global,
 * value_global, and W_o.
 */
final class LongformerAttention<T extends TFloating> implements AttentionLayer<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int h;
  private final int k;
  private final int e;
  private final int g;
  private final Linear<T> query;
  private final Linear<T> key;
  private final Linear<T> value;
  private final Linear<T> queryGlobal;
  private final Linear<T> keyGlobal;
  private final Linear<T> valueGlobal;
  private final Linear<T> wO;

  LongformerAttention(GraphScope<T> s, AttentionSpec.Longformer spec) {
    this.s = s;
    this.tf = s.tf();
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.e = spec.window() / 2;
    this.g = spec.globalTokens();
    query = Linear.create(s.child("query"), d, d);
    key = Linear.create(s.child("key"), d, d);
    value = Linear.create(s.child("value"), d, d);
    queryGlobal = g > 0 ? Linear.create(s.child("query_global"), d, d) : null;
    keyGlobal = g > 0 ? Linear.create(s.child("key_global"), d, d) : null;
    valueGlobal = g > 0 ? Linear.create(s.child("value_global"), d, d) : null;
    wO = Linear.create(s.child("W_o"), d, d);
  }

  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    if (g > n) {
      throw new IllegalArgumentException("longformer attention '" + s.name() + "': globalTokens (" + g
          + ") exceeds the input length (" + n + ")");
    }
    int np = AttentionOps.roundUp(n, e);
    int blocks = np / e;
    double scale = 1.0 / Math.sqrt(k);
    // (B, Np, D), (B, Np)
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    // (B, H, Np, K)
    Operand<T> q = splitHeads(tf, tf.math.mul(query.apply(xp), s.scalar(scale)), np, h, k);
    Operand<T> kh = splitHeads(tf, key.apply(xp), np, h, k);
    Operand<T> vh = splitHeads(tf, value.apply(xp), np, h, k);

    // window keys: real and not global, (B, 1, Np, 1) -> tiles (B, 1, S, 1, 3E)
    Operand<T> local = g > 0 ? tf.math.mul(valid, notGlobal(np)) : valid;
    Operand<T> localTiles = AttentionOps.neighbourTiles(s, Shapes.reshape(tf, local, -1, 1, np, 1), 1, blocks, e, 1, e, e);
    Operand<T> keyBias = exclusionBias(s, Shapes.reshape(tf, localTiles, -1, 1, blocks, 1, 3 * e));
    // (B, H, S, E, K) against (B, H, S, 3E, K): (B, H, S, E, 3E), plus the band |t - j| <= E
    Operand<T> qTiles = Shapes.reshape(tf, q, -1, h, blocks, e, k);
    Operand<T> kTiles = AttentionOps.neighbourTiles(s, kh, h, blocks, e, k, e, e);
    Operand<T> vTiles = AttentionOps.neighbourTiles(s, vh, h, blocks, e, k, e, e);
    Operand<T> windowLogits = tf.math.add(tf.math.add(matmul(qTiles, kTiles, true), keyBias), band());
    // padded query rows attend to nothing: (B, 1, S, E, 1)
    Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, blocks, e, 1);
    Operand<T> out;
    if (g > 0) {
      // every query against the G global keys (regular key projection): (B, H, Np, G)
      Operand<T> globalKeys = Shapes.slice(tf, kh, new long[] {0, 0, 0, 0}, new long[] {-1, h, g, k});
      Operand<T> globalValues = Shapes.slice(tf, vh, new long[] {0, 0, 0, 0}, new long[] {-1, h, g, k});
      Operand<T> globalValid = Shapes.slice(tf, valid, new long[] {0, 0}, new long[] {-1, g});
      Operand<T> globalLogits = tf.math.add(matmul(q, globalKeys, true),
          Shapes.reshape(tf, exclusionBias(s, globalValid), -1, 1, 1, g));
      List<Operand<T>> probs = AttentionOps.jointSoftmax(tf,
          List.of(Shapes.reshape(tf, globalLogits, -1, h, blocks, e, g), windowLogits), keepQuery);
      out = tf.math.add(matmul(Shapes.reshape(tf, probs.get(0), -1, h, np, g), globalValues, false),
          Shapes.reshape(tf, matmul(probs.get(1), vTiles, false), -1, h, np, k));
    } else {
      Operand<T> probs = tf.math.mul(AttentionOps.softmax(tf, windowLogits), keepQuery);
      out = Shapes.reshape(tf, matmul(probs, vTiles, false), -1, h, np, k);
    }
    // (B, H, N, K)
    out = AttentionOps.cropRows(tf, out, h, n, k);
    if (g > 0) {
      // the global rows' own attention replaces their local one: (B, H, G, K) ; (B, H, N - G, K)
      Operand<T> rest = Shapes.slice(tf, out, new long[] {0, 0, g, 0}, new long[] {-1, h, n - g, k});
      out = Shapes.concat(tf, 2, List.of(globalRows(xp, valid, np), rest));
    }
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }

  /** The global rows: query_global of the first G positions over key_global, value_global of all. */
  private Operand<T> globalRows(Operand<T> xp, Operand<T> valid, int np) {
    int d = h * k;
    // (B, H, G, K), (B, H, Np, K)
    Operand<T> xg = Shapes.slice(tf, xp, new long[] {0, 0, 0}, new long[] {-1, g, d});
    Operand<T> qg = splitHeads(tf, tf.math.mul(queryGlobal.apply(xg), s.scalar(1.0 / Math.sqrt(k))), g, h, k);
    Operand<T> kg = splitHeads(tf, keyGlobal.apply(xp), np, h, k);
    Operand<T> vg = splitHeads(tf, valueGlobal.apply(xp), np, h, k);
    // (B, H, G, Np), padded keys excluded
    Operand<T> logits = tf.math.add(matmul(qg, kg, true), Shapes.reshape(tf, exclusionBias(s, valid), -1, 1, 1, np));
    // a padded leading position is not global: its row is 0 like every padded row
    Operand<T> keep = Shapes.reshape(tf, Shapes.slice(tf, valid, new long[] {0, 0}, new long[] {-1, g}), -1, 1, g, 1);
    return tf.math.mul(matmul(AttentionOps.softmax(tf, logits), vg, false), keep);
  }

  /** 1 for positions >= G, 0 for the global ones: (Np). */
  private Operand<T> notGlobal(int np) {
    double[] v = new double[np];
    for (int t = g; t < np; t++) {
      v[t] = 1;
    }
    return constant(v, np);
  }

  /**
   * 0 inside the band, EXCLUDED outside: query r of a block (position sE + r) and tile key c
   * (position sE - E + c) are within E iff r <= c <= r + 2E. (E, 3E)
   */
  private Operand<T> band() {
    double[] v = new double[e * 3 * e];
    for (int r = 0; r < e; r++) {
      for (int c = 0; c < 3 * e; c++) {
        v[r * 3 * e + c] = c >= r && c <= r + 2 * e ? 0 : AttentionOps.EXCLUDED;
      }
    }
    return constant(v, e, 3 * e);
  }

  @SuppressWarnings("unchecked")
  private Operand<T> constant(double[] v, long... shape) {
    Operand<TFloat64> wide = tf.constant(Shape.of(shape), DataBuffers.of(v, true, false));
    return s.dtype() == TFloat64.class ? (Operand<T>) (Operand<?>) wide : tf.dtypes.cast(wide, s.dtype());
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
