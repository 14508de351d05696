package io.longshort.graph.attention;

import io.longshort.graph.core.FanOut;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Linear;
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
import org.tensorflow.types.TInt32;
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

  LongShortAttention(GraphScope<T> s, AttentionSpec.LongShort spec) {
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
    return apply(x, mask, clsToken, false);
  }

  /** The CLS row alone: W_o projects that row only, (B, 1, D). */
  @Override
  public Operand<T> applyClsRow(Ops unused, Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    if (clsToken == null) {
      throw new IllegalArgumentException("attention '" + s.name() + "': the CLS row needs a clsToken");
    }
    return apply(x, mask, clsToken, true);
  }

  private Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken, boolean clsRowOnly) {
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
    // W_q (times the scale), W_k, W_v and dconv_fc as one product of xp
    List<Linear<T>> inputLayers = r > 0 ? List.of(weights.wQ, weights.wK, weights.wV, weights.dconvFc)
        : List.of(weights.wQ, weights.wK, weights.wV);
    List<Operand<T>> projected = Linear.applyJoint(s, inputLayers, new double[] {scale, 1, 1, 1}, xp);
    Operand<T> q = splitHeads(tf, projected.get(0), np, h, k);
    Operand<T> kl = splitHeads(tf, weights.dualLnL.apply(projected.get(1)), np, h, k);
    Operand<T> vl = splitHeads(tf, weights.dualLnL.apply(projected.get(2)), np, h, k);

    // global slots: [CLS key/value (raw)] + R dynamic projections, then DualLN's global norm
    List<Operand<T>> globalKeys = new ArrayList<>();
    List<Operand<T>> globalValues = new ArrayList<>();
    Operand<T> clsQ = null;
    Operand<T> clsK = null;
    Operand<T> clsV = null;
    if (cls) {
      // (B, 1, D) x 3 as one product: the CLS vector's only use here, so that its gradient (with
      // the residual's) is a sum of two, whose order is fixed (FanOut says why three is not)
      List<Operand<T>> clsProjected = Linear.applyJoint(s, List.of(weights.wQ, weights.wK, weights.wV),
          new double[] {1, 1, 1}, clsToken);
      // (B, H, 1, K)
      clsQ = splitHeads(tf, tf.math.mul(clsProjected.get(0), s.scalar(scale)), 1, h, k);
      clsK = splitHeads(tf, clsProjected.get(1), 1, h, k);
      clsV = splitHeads(tf, clsProjected.get(2), 1, h, k);
      globalKeys.add(clsK);
      globalValues.add(clsV);
    }
    if (r > 0) {
      // (B, Np, H*R) -> softmax over positions -> (B, H, R, Np)
      Operand<T> scores = tf.math.add(projected.get(3), tf.expandDims(bias, tf.constant(2)));
      Operand<T> byPosition = Shapes.transpose(tf, scores, 0, 2, 1);
      Operand<T> p = Shapes.reshape(tf, AttentionOps.softmax(tf, byPosition), -1, h, r, np);
      // (B, H, R, K)
      globalKeys.add(matmul(p, kl, false));
      globalValues.add(matmul(p, vl, false));
    }
    int g = globalKeys.size() == 0 ? 0 : (cls ? 1 : 0) + r;
    Operand<T> kg = null;
    Operand<T> vg = null;
    if (g > 0) {
      // (B, H, R + G, K)
      kg = splitHeads(tf, weights.dualLnS.apply(mergeHeads(tf, Shapes.concat(tf, 2, globalKeys), g, h, k)), g, h, k);
      vg = splitHeads(tf, weights.dualLnS.apply(mergeHeads(tf, Shapes.concat(tf, 2, globalValues), g, h, k)), g, h, k);
    }

    // one softmax over [global slots ; window keys]
    Operand<T> out;
    if (w > 0 && g > 0 && separateGlobals(g)) {
      out = windowAndSeparateGlobals(q, kl, vl, kg, vg, valid, np, segments, g);
    } else if (w > 0) {
      out = windowWithGlobalsInTiles(q, kl, vl, kg, vg, valid, np, segments, g);
    } else {
      // (B, H, Np, R + G)
      Operand<T> globalLogits = matmul(q, kg, true);
      Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, np, 1);
      out = matmul(tf.math.mul(AttentionOps.softmax(tf, globalLogits), keepQuery), vg, false);
    }

    // (B, H, N, K)
    out = AttentionOps.cropRows(tf, out, h, n, k);
    int rows = n;
    if (cls) {
      // the CLS row's two products take the token outputs twice; with the rows' own path (the
      // concat below) that is three uses, so those two go through FanOut (a gradient sum of three
      // is not repeatable bit for bit)
      List<Operand<T>> forCls = clsRowOnly ? List.of(out, out) : FanOut.uses(tf, out, 2);
      Operand<T> clsOut = clsOutput(clsQ, clsK, clsV, forCls.get(0), forCls.get(1), bias, n);
      if (clsRowOnly) {
        // (B, 1, D)
        return weights.wO.apply(mergeHeads(tf, clsOut, 1, h, k));
      }
      out = Shapes.concat(tf, 2, List.of(clsOut, out));
      rows = n + 1;
    }
    // (B, rows, D)
    return weights.wO.apply(mergeHeads(tf, out, rows, h, k));
  }

  /**
   * Whether the R + G global slots get products of their own (one (Np x K) x (K x (R + G)) product
   * per head, joined to the window's softmax by {@link AttentionOps#jointSoftmax}) rather than a
   * copy in every window tile: from R + G at least a quarter of the W + 2E window keys on. Copies
   * cost a (B, H, Q, R + G, K) tile and concat for K and V and their gradients, and R + G more
   * columns in the tiles' small batched products; the separate form costs the joint softmax's extra
   * passes over the window logits. In interleaved A/B rounds (bench/peers/README.md) the separate
   * form took 0.93x the time of the layer case (R 64 against 256 window keys) and 0.88x the peak
   * memory of the lra_text step (R 32 against 16 window keys), and 1.07x the time of the ListOps
   * step (R 2 against 32).
   */
  private boolean separateGlobals(int g) {
    return 4 * g >= w + 2 * e;
  }

  /**
   * (B, H, Np, K): every window tile starts with the R + G global slots (repeated per segment, a
   * small copy), so that one product gives all of a query's logits and one softmax normalises them.
   */
  private Operand<T> windowWithGlobalsInTiles(Operand<T> q, Operand<T> kl, Operand<T> vl, Operand<T> kg,
      Operand<T> vg, Operand<T> valid, int np, int segments, int g) {
    // (B, H, Q, W, K) queries against (B, H, Q, R + G + W + 2E, K) key tiles
    int windowKeys = 2 * e + w;
    Operand<T> qTiles = Shapes.reshape(tf, q, -1, h, segments, w, k);
    Operand<T> kPrefix = null;
    Operand<T> vPrefix = null;
    Operand<T> validPrefix = null;
    if (g > 0) {
      Operand<TInt32> perSegment = tf.constant(new int[] {1, 1, segments, 1, 1});
      // (B, H, Q, R + G, K)
      kPrefix = tf.tile(tf.expandDims(kg, tf.constant(2)), perSegment);
      vPrefix = tf.tile(tf.expandDims(vg, tf.constant(2)), perSegment);
      // (B, 1, Q, R + G, 1): global slots are always valid
      // (built from the mask, off the gradient's path: OnesLike has no C++ gradient)
      Operand<T> onePerSegment = tf.onesLike(Shapes.slice(tf, Shapes.reshape(tf, valid, -1, 1, segments, w, 1),
          new long[] {0, 0, 0, 0, 0}, new long[] {-1, 1, segments, 1, 1}));
      validPrefix = tf.tile(onePerSegment, tf.constant(new int[] {1, 1, 1, g, 1}));
    }
    Operand<T> kTiles = AttentionOps.neighbourTiles(s, kl, h, segments, w, k, e, e, kPrefix);
    Operand<T> vTiles = AttentionOps.neighbourTiles(s, vl, h, segments, w, k, e, e, vPrefix);
    Operand<T> keyBias = windowKeyBias(valid, np, segments, validPrefix, g + windowKeys);
    // (B, H, Q, W, R + G + W + 2E)
    Operand<T> probs = AttentionOps.softmax(tf, tf.math.add(matmul(qTiles, kTiles, true), keyBias));
    // padded query rows attend to nothing: their output rows are zeroed, the same as zeroing
    // their probabilities and 1/(R + G + W + 2E) the size
    Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, np, 1);
    return tf.math.mul(Shapes.reshape(tf, matmul(probs, vTiles, false), -1, h, np, k), keepQuery);
  }

  /**
   * (B, H, Np, K): the window tiles hold only their W + 2E keys; the global logits are one product
   * (B, H, Np, K) x (B, H, R + G, K), and one softmax runs over both blocks of logits together.
   */
  private Operand<T> windowAndSeparateGlobals(Operand<T> q, Operand<T> kl, Operand<T> vl, Operand<T> kg,
      Operand<T> vg, Operand<T> valid, int np, int segments, int g) {
    int windowKeys = 2 * e + w;
    // (B, H, Q, W, K) and (B, H, Q, W + 2E, K)
    Operand<T> qTiles = Shapes.reshape(tf, q, -1, h, segments, w, k);
    Operand<T> kTiles = AttentionOps.neighbourTiles(s, kl, h, segments, w, k, e, e);
    Operand<T> vTiles = AttentionOps.neighbourTiles(s, vl, h, segments, w, k, e, e);
    // (B, H, Q, W, W + 2E)
    Operand<T> windowLogits = tf.math.add(matmul(qTiles, kTiles, true),
        windowKeyBias(valid, np, segments, null, windowKeys));
    // (B, H, Np, R + G) -> (B, H, Q, W, R + G): global slots are always valid
    Operand<T> globalLogits = Shapes.reshape(tf, matmul(q, kg, true), -1, h, segments, w, g);
    // padded query rows attend to nothing: their probabilities are zeroed
    Operand<T> keepQuery = Shapes.reshape(tf, valid, -1, 1, segments, w, 1);
    List<Operand<T>> p = AttentionOps.jointSoftmax(tf, List.of(globalLogits, windowLogits), keepQuery);
    // (B, H, Np, K)
    Operand<T> fromGlobals = matmul(Shapes.reshape(tf, p.get(0), -1, h, np, g), vg, false);
    Operand<T> fromWindow = Shapes.reshape(tf, matmul(p.get(1), vTiles, false), -1, h, np, k);
    return tf.math.add(fromWindow, fromGlobals);
  }

  /**
   * (B, 1, Q, 1, P + W + 2E): the exclusion bias of each tile's keys, P always-valid prefix slots
   * ({@code validPrefix} (B, 1, Q, P, 1), or null for none) first; out-of-range keys are
   * zero-padded tiles of {@code valid}, so excluded too.
   */
  private Operand<T> windowKeyBias(Operand<T> valid, int np, int segments, Operand<T> validPrefix, int tileKeys) {
    Operand<T> validTiles = AttentionOps.neighbourTiles(s,
        Shapes.reshape(tf, valid, -1, 1, np, 1), 1, segments, w, 1, e, e, validPrefix);
    return exclusionBias(s, Shapes.reshape(tf, validTiles, -1, 1, segments, 1, tileKeys));
  }

  /**
   * The CLS query attends over [its own raw key ; the N tokens' attention outputs C] with values
   * [its own raw value ; C]: (B, H, 1, K). C comes twice (two uses of the same tensor, or two
   * FanOut slices of it): {@code c} for the logits, {@code cValues} for the values.
   */
  private Operand<T> clsOutput(Operand<T> clsQ, Operand<T> clsK, Operand<T> clsV, Operand<T> c, Operand<T> cValues,
      Operand<T> bias, int n) {
    // (B, 1, 1, N)
    Operand<T> tokenBias = Shapes.reshape(tf,
        Shapes.slice(tf, bias, new long[] {0, 0}, new long[] {-1, n}), -1, 1, 1, n);
    // one joint softmax over [its own key ; the N outputs]: (B, H, 1, 1) and (B, H, 1, N)
    List<Operand<T>> p = AttentionOps.jointSoftmax(tf,
        List.of(matmul(clsQ, clsK, true), tf.math.add(matmul(clsQ, c, true), tokenBias)), null);
    return tf.math.add(tf.math.mul(p.get(0), clsV), matmul(p.get(1), cValues, false));
  }

  private Operand<T> matmul(Operand<T> a, Operand<T> b, boolean transposeB) {
    return AttentionOps.matmul(tf, a, b, transposeB);
  }
}
