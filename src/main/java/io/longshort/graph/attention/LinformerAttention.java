package io.longshort.graph.attention;

import static io.longshort.graph.attention.AttentionOps.mergeHeads;
import static io.longshort.graph.attention.AttentionOps.splitHeads;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Linformer as the authors' LRA {@code attention_linformer.py} inside their {@code Attention}
 * wrapper: the masked keys and values are projected along the sequence by a learned
 * E (H, R, Np), then softmax(Q K'^T / sqrt(K)) V', plus the optional depth-wise convolution of
 * the masked values. Padded query rows are not zeroed (neither are they in the authors' module).
 *
 * <p>One E serves every Linformer layer of a graph with the same (H, R, Np), as the authors' class
 * attribute does for every layer and both towers of a model; it is named after the first layer
 * ({@code <layer>.attn.E}), where their state_dict has it too.
 *
 * <p>Letters: B batch, N length, Np = the spec's maxLength (N when 0) that inputs are padded to,
 * D width, H heads, K head width, R projected length (the spec's rank, their linformer_k).
 * Nothing here is N x N: the largest tensors are (B, H, Np, R).
 *
 * <p>Parameters: W_q, W_k, W_v, W_o (the authors' {@code ff}), attn.E, attn.conv (convKernel > 0).
 */
final class LinformerAttention<T extends TFloating> implements AttentionLayer<T> {
  /** The authors' init of E: N(0, 0.02^2). */
  static final double E_STDDEV = 0.02;

  private final GraphScope<T> s;
  private final Ops tf;
  private final AttentionSpec.Linformer spec;
  private final int h;
  private final int k;
  private final int r;
  private final Linear<T> wQ;
  private final Linear<T> wK;
  private final Linear<T> wV;
  private final Linear<T> wO;
  private final ValueConvolution<T> conv;
  /** Created on first apply when the spec leaves maxLength to the input. */
  private Operand<T> e;
  private int np;

  LinformerAttention(GraphScope<T> s, AttentionSpec.Linformer spec) {
    this.s = s;
    this.tf = s.tf();
    this.spec = spec;
    int d = spec.width();
    this.h = spec.heads();
    this.k = spec.headWidth();
    this.r = spec.rank();
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
    conv = spec.convKernel() > 0 ? new ValueConvolution<>(s.child("attn").child("conv"), h, spec.convKernel()) : null;
    if (spec.maxLength() > 0) {
      projection(spec.maxLength());
    }
  }

  /** E (H, R, Np), shared with the graph's other Linformer layers of the same shape. */
  private void projection(int length) {
    long[] shape = {h, r, length};
    Parameter<T> shared = s.parameters().shared("linformer.E" + Arrays.toString(shape),
        () -> s.parameters().getOrCreate(s.name() + ".attn.E", shape, Initializer.normal(E_STDDEV)));
    e = shared.value();
    np = length;
  }

  @Override
  public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    int n = Shapes.staticDim(x, 1, "attention input x");
    if (e == null) {
      projection(n);
    }
    if (n > np) {
      throw new IllegalArgumentException("linformer attention '" + s.name() + "': input length (" + n
          + ") exceeds maxLength (" + np + "), the length its projection E is learned for");
    }
    // (B, Np, D), (B, Np): shorter inputs are padded, as the authors' models pad to max_seq_len
    Operand<T> xp = AttentionOps.padLength(s, x, 3, n, np);
    Operand<T> valid = AttentionOps.padLength(s, mask, 2, n, np);
    Operand<T> keep = Shapes.reshape(tf, valid, -1, 1, np, 1);
    // (B, H, Np, K); keys and values masked
    Operand<T> q = splitHeads(tf, wQ.apply(xp), np, h, k);
    Operand<T> km = tf.math.mul(splitHeads(tf, wK.apply(xp), np, h, k), keep);
    Operand<T> vm = tf.math.mul(splitHeads(tf, wV.apply(xp), np, h, k), keep);
    // (B, H, R, K)
    Operand<T> kp = project(km);
    Operand<T> vp = project(vm);
    // (B, H, Np, R)
    Operand<T> logits = tf.math.mul(AttentionOps.matmul(tf, q, kp, true),
        s.scalar(1.0 / Math.sqrt(k)));
    // (B, H, Np, K)
    Operand<T> out = AttentionOps.matmul(tf, AttentionOps.softmax(tf, logits), vp, false);
    if (conv != null) {
      out = tf.math.add(out, conv.apply(vm, np, k));
    }
    // (B, N, D)
    out = AttentionOps.cropRows(tf, out, h, n, k);
    return wO.apply(mergeHeads(tf, out, n, h, k));
  }

  /** E @ x per head: (H, R, Np) and (B, H, Np, K) -> (B, H, R, K), one Einsum (E is not copied per batch row). */
  private Operand<T> project(Operand<T> x) {
    return AttentionOps.einsum(tf, "hrn,bhnk->bhrk", e, x);
  }
}
