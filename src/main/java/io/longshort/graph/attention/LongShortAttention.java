package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import static io.longshort.graph.attention.AttentionOps.exclusionBias;
import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.family.TFloating;

/**
 * Bidirectional long-short attention, exactly as the authors' LRA {@code AttentionLS}: a
 * segment-wise sliding window (segments of W, E = max(W/2, 1) extra keys each side) and a dynamic
 * projection onto R global slots, with DualLN, one joint softmax and an optional CLS token.
 *
 * <p>Letters: B batch, N length, Np = N rounded up to a multiple of W, D width, H heads, K head
 * width, W window (query block length), E window margin, Q = Np/W query blocks, R rank, G = 1 with a
 * CLS token, else 0; R + G global slots. Nothing here is N x N: the largest tensors are
 * (B, H, Np, 2E + W + R + G).
 *
 * <p>Parameters (PyTorch names): W_q, W_k, W_v, W_o, dual_ln_s (when R + G > 0), dual_ln_l,
 * dconv_fc (when R > 0).
 */
final class LongShortAttention<T extends TFloating> implements AttentionLayer<T> {
  private final GraphScope<T> s;
  private final Ops tf;
  private final int d;
  private final int h;
  private final int k;
  private final int w;
  private final int r;
  private final int e;
  private final LongShortWeights<T> weights;
  private final boolean mayTakeCls;

  LongShortAttention(GraphScope<T> s, AttentionSpec spec) {
    this.s = s;
    this.tf = s.tf();
    this.d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.w = spec.window();
    this.r = spec.rank();
    this.e = Math.max(w / 2, 1);
    this.mayTakeCls = spec.globalToken() != GlobalToken.NONE;
    weights = new LongShortWeights<>(s, spec);
  }

  /**
   * @param x (B, N, D) tokens
   * @param mask (B, N) 1 for tokens, 0 for padding
   * @param clsToken (B, 1, D) the CLS vector, or null without one (needs a spec with a global token)
   * @return (B, N, D), or (B, 1 + N, D) with the CLS row first
   */
  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    boolean cls = clsToken != null;
    if (cls && !mayTakeCls) {
      throw new IllegalArgumentException("a clsToken was given to attention '" + s.name()
          + "' whose spec has globalToken none");
    }
    int n = Shapes.staticDim(x, 1, "attention input x");
    int np = w > 0 ? AttentionOps.roundUp(n, w) : n;
    int segments = w > 0 ? np / w : 0;
    double scale = 1.0 / Math.sqrt(k);

    // (B, Np, D) and (B, Np): padding rows are ordinary padding from here on
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    Operand<T> bias = exclusionBias(s, valid);

    // (B, H, Np, K); keys and values get DualLN's local norm over the full width first
    Operand<T> q = splitHeads(tf, tf.math.mul(weights.wQ.apply(xp), s.scalar(scale)), np, h, k);
    Operand<T> kl = splitHeads(tf, weights.dualLnL.apply(weights.wK.apply(xp)), np, h, k);
    Operand<T> vl = splitHeads(tf, weights.dualLnL.apply(weights.wV.apply(xp)), np, h, k);

    // global slots: [CLS key/value (raw)] + R dynamic projections, then DualLN's global norm
    List<Operand<T>> globalKeys = new ArrayList<>();
    List<Operand<T>> globalValues = new ArrayList<>();
    Operand<T> clsQ = null;
    Operand<T> clsK = null;
    Operand<T> clsV = null;
    if (cls) {
      // (B, H, 1, K)
      clsQ = splitHeads(tf, tf.math.mul(weights.wQ.apply(clsToken), s.scalar(scale)), 1, h, k);
      clsK = splitHeads(tf, weights.wK.apply(clsToken), 1, h, k);
      clsV = splitHeads(tf, weights.wV.apply(clsToken), 1, h, k);
      globalKeys.add(clsK);
      globalValues.add(clsV);
    }
    if (r > 0) {
      // (B, Np, H*R) -> softmax over positions -> (B, H, R, Np)
      Operand<T> scores = tf.math.add(weights.dconvFc.apply(xp), tf.expandDims(bias, tf.constant(2)));
      Operand<T> byPosition = Shapes.transpose(tf, scores, 0, 2, 1);
      Operand<T> p = Shapes.reshape(tf, AttentionOps.softmax(tf, byPosition), -1, h, r, np);
      // (B, H, R, K)
      globalKeys.add(matmul(p, kl, false));
      globalValues.add(matmul(p, vl, false));
    }
    int g = globalKeys.size() == 0 ? 0 : (cls ? 1 : 0) + r;
    Operand<T> kg = null;
    Operand<T> vg = null;
    Operand<T> globalLogits = null;
    if (g > 0) {
      // (B, H, R + G, K)
      kg = splitHeads(tf, weights.dualLnS.apply(mergeHeads(tf, Shapes.concat(tf, 2, globalKeys), g, h, k)), g, h, k);
      vg = splitHeads(tf, weights.dualLnS.apply(mergeHeads(tf, Shapes.concat(tf, 2, globalValues), g, h, k)), g, h, k);
      // (B, H, Np, R + G)
      globalLogits = matmul(q, kg, true);
    }

    // one joint softmax over [global slots ; window keys], kept in its two blocks
    Operand<T> out = null;
    if (w > 0) {
      // (B, H, Q, W, K) queries against (B, H, Q, W + 2E, K) key tiles
      int windowKeys = 2 * e + w;
      Operand<T> qTiles = Shapes.reshape(tf, q, -1, h, segments, w, k);
      Operand<T> kTiles = AttentionOps.neighbourTiles(s, kl, h, segments, w, k, e, e);
      Operand<T> windowValues = AttentionOps.neighbourTiles(s, vl, h, segments, w, k, e, e);
      // (B, 1, Q, 1, W + 2E): out-of-range keys are zero-padded tiles of `valid`, so excluded too
      Operand<T> validTiles = AttentionOps.neighbourTiles(s,
          Shapes.reshape(tf, valid, -1, 1, np, 1), 1, segments, w, 1, e, e);
      Operand<T> keyBias = exclusionBias(s, Shapes.reshape(tf, validTiles, -1, 1, segments, 1, windowKeys));
      // (B, H, Q, W, W + 2E)
      Operand<T> windowLogits = tf.math.add(matmul(qTiles, kTiles, true), keyBias);
      // padded query rows attend to nothing
      Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, segments, w, 1);
      if (g > 0) {
        // (B, H, Q, W, R + G) and (B, H, Q, W, W + 2E)
        List<Operand<T>> probs = AttentionOps.jointSoftmax(tf,
            List.of(Shapes.reshape(tf, globalLogits, -1, h, segments, w, g), windowLogits), keepQuery);
        // (B, H, Np, R + G) @ (B, H, R + G, K)
        out = matmul(Shapes.reshape(tf, probs.get(0), -1, h, np, g), vg, false);
        Operand<T> windowOut = Shapes.reshape(tf, matmul(probs.get(1), windowValues, false), -1, h, np, k);
        out = tf.math.add(out, windowOut);
      } else {
        Operand<T> windowProbs = tf.math.mul(AttentionOps.softmax(tf, windowLogits), keepQuery);
        // (B, H, Q, W, W + 2E) @ (B, H, Q, W + 2E, K) -> (B, H, Np, K)
        out = Shapes.reshape(tf, matmul(windowProbs, windowValues, false), -1, h, np, k);
      }
    } else {
      Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, np, 1);
      out = matmul(tf.math.mul(AttentionOps.softmax(tf, globalLogits), keepQuery), vg, false);
    }

    // (B, H, N, K)
    out = AttentionOps.cropRows(tf, out, h, n, k);
    int rows = n;
    if (cls) {
      out = Shapes.concat(tf, 2, List.of(clsOutput(clsQ, clsK, clsV, out, bias, n), out));
      rows = n + 1;
    }
    // (B, rows, D)
    return weights.wO.apply(mergeHeads(tf, out, rows, h, k));
  }

  /**
   * The CLS query attends over [its own raw key ; the N tokens' attention outputs C] with values
   * [its own raw value ; C]: (B, H, 1, K).
   */
  private Operand<T> clsOutput(Operand<T> clsQ, Operand<T> clsK, Operand<T> clsV, Operand<T> c,
      Operand<T> bias, int n) {
    // (B, 1, 1, N)
    Operand<T> tokenBias = Shapes.reshape(tf,
        Shapes.slice(tf, bias, new long[] {0, 0}, new long[] {-1, n}), -1, 1, 1, n);
    // one joint softmax over [its own key ; the N outputs]: (B, H, 1, 1) and (B, H, 1, N)
    List<Operand<T>> p = AttentionOps.jointSoftmax(tf,
        List.of(matmul(clsQ, clsK, true), tf.math.add(matmul(clsQ, c, true), tokenBias)), null);
    return tf.math.add(tf.math.mul(p.get(0), clsV), matmul(p.get(1), c, false));
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    int rank = a.shape().numDimensions();
    String lead = "abc".substring(0, rank - 2);
    return AttentionOps.einsum(tf, lead + "ij," + lead + (transposeB ? "kj" : "jk") + "->" + lead + "ik", a, b);
  }
}
