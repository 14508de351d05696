package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Emits attention layers of any {@link io.longshort.spec.AttentionKind} behind one interface.
 *
 * <pre>{@code
 * Parameters<TFloat32> params = new Parameters<>(graph, TFloat32.class, seed);
 * GraphScope<TFloat32> root = GraphScope.root(params);
 * Operand<TFloat32> y = Attention.apply(root.child("attention"), spec, x, mask, null);
 * }</pre>
 *
 * <p>Letters: B batch, N length, D width. Any static N works: lengths that are not a multiple of
 * the window (or segment) are padded and masked inside the graph and the output cropped.
 */
public final class Attention {
  private Attention() {}

  /**
   * Creates the layer's parameters in {@code scope} (PyTorch names W_q.weight, ...) and returns
   * the layer, to apply once or (tied layers) several times.
   */
  static <T extends TFloating> AttentionLayer<T> create(GraphScope<T> scope, AttentionSpec spec) {
    AttentionLayer<T> layer = switch (spec.kind()) {
      // each emitter takes its kind's record, which holds exactly that kind's fields
      case LONG_SHORT -> new LongShortAttention<>(scope, (AttentionSpec.LongShort) spec);
      case CAUSAL_LONG_SHORT -> new CausalLongShortAttention<>(scope, (AttentionSpec.CausalLongShort) spec);
      case FULL, CAUSAL_FULL -> new FullAttention<>(scope, spec);
      case LINFORMER -> new LinformerAttention<>(scope, (AttentionSpec.Linformer) spec);
      case NYSTROM -> new NystromAttention<>(scope, (AttentionSpec.Nystrom) spec);
      case PERFORMER -> new PerformerAttention<>(scope, (AttentionSpec.Performer) spec);
      case LONGFORMER -> new LongformerAttention<>(scope, (AttentionSpec.Longformer) spec);
      case BIGBIRD -> new BigBirdAttention<>(scope, (AttentionSpec.BigBird) spec);
    };
    return new AttentionLayer<T>() {
      @Override
      public Operand<T> apply(Operand<T> x, Operand<T> mask, Operand<T> cls) {
        return checked(x, mask, cls, false);
      }

      @Override
      public Operand<T> applyClsRow(Ops tf, Operand<T> x, Operand<T> mask, Operand<T> cls) {
        return checked(x, mask, cls, true);
      }

      private Operand<T> checked(Operand<T> x, Operand<T> mask, Operand<T> cls, boolean clsRow) {
        checkInput(spec, x, mask, cls);
        Ops tf = scope.tf();
        if (mask == null) {
          mask = AttentionOps.onesMask(tf, x);
        }
        if (spec.globalToken() == GlobalToken.FIRST_ROW) {
          // the authors' CLS pooling: row 0 is the CLS token, rows 1.. the sequence
          int rows = Shapes.staticDim(x, 1, "attention input x");
          int d = spec.width();
          cls = Shapes.slice(tf, x, new long[] {0, 0, 0}, new long[] {-1, 1, d});
          x = Shapes.slice(tf, x, new long[] {0, 1, 0}, new long[] {-1, rows - 1, d});
          mask = Shapes.slice(tf, mask, new long[] {0, 1}, new long[] {-1, rows - 1});
        }
        return clsRow ? layer.applyClsRow(tf, x, mask, cls) : layer.apply(x, mask, cls);
      }
    };
  }

  /**
   * Creates and applies one layer.
   *
   * @param scope where the layer's ops and parameters go
   * @param x (B, N, D); for {@link GlobalToken#FIRST_ROW}, (B, 1 + N, D) with the CLS row first
   * @param mask same leading shape as x without D, 1 for tokens and 0 for padding; null = no padding
   * @param clsToken (B, 1, D) for {@link GlobalToken#INPUT}, null otherwise
   * @return (B, N, D); with a CLS token (B, 1 + N, D), the CLS row first
   */
  public static <T extends TFloating> Operand<T> apply(GraphScope<T> scope, AttentionSpec spec,
      Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    return create(scope, spec).apply(x, mask, clsToken);
  }

  /**
   * With {@link GlobalToken#INPUT} a CLS vector may be given or not (a tied block takes it only in
   * its last application); with any other token mode none may be given.
   */
  private static void checkInput(AttentionSpec spec, Operand<?> x, Operand<?> mask, Operand<?> cls) {
    if (x.shape().numDimensions() != 3) {
      throw new IllegalArgumentException("attention input x must have rank 3 (B, N, D), got shape " + x.shape());
    }
    int n = Shapes.staticDim(x, 1, "attention input x");
    int d = Shapes.staticDim(x, 2, "attention input x");
    if (d != spec.width()) {
      throw new IllegalArgumentException("attention input x has width " + d + " but the spec's width is "
          + spec.width());
    }
    int minRows = spec.globalToken() == GlobalToken.FIRST_ROW ? 2 : 1;
    if (n < minRows) {
      throw new IllegalArgumentException("attention input x has length " + n + "; at least " + minRows
          + " row(s) needed" + (minRows == 2 ? " (the CLS row and one token)" : ""));
    }
    if (mask != null && (mask.shape().numDimensions() != 2 || mask.shape().get(1) != n)) {
      throw new IllegalArgumentException("attention mask must have shape (B, " + n + "), got " + mask.shape());
    }
    if (cls == null) {
      return;
    }
    if (spec.globalToken() != GlobalToken.INPUT) {
      throw new IllegalArgumentException("a clsToken was given but the spec's globalToken is '"
          + spec.globalToken().jsonName() + "'; use globalToken 'input'");
    }
    if (cls.shape().numDimensions() != 3 || cls.shape().get(1) != 1 || cls.shape().get(2) != spec.width()) {
      throw new IllegalArgumentException("clsToken must have shape (B, 1, " + spec.width() + "), got "
          + cls.shape());
    }
  }
}
