package io.longshort.graph.attention;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.GlobalToken;
import org.tensorflow.types.family.TFloating;

/**
 * The parameters of a long-short attention layer (bidirectional or causal), created in the
 * authors' module order so listings read the same: W_q, W_k, W_v, W_o, dual_ln_s (when there are
 * global slots: rank > 0 or a CLS token), dual_ln_l, dconv_fc (when rank > 0).
 */
public final class LongShortWeights<T extends TFloating> {
  public final Linear<T> wQ;
  public final Linear<T> wK;
  public final Linear<T> wV;
  public final Linear<T> wO;
  public final LayerNorm<T> dualLnS;
  public final LayerNorm<T> dualLnL;
  public final Linear<T> dconvFc;

  public LongShortWeights(GraphScope<T> s, AttentionSpec spec) {
    int d = spec.width();
    int r = spec.rank();
    boolean globalSlots = r > 0 || spec.globalToken() != GlobalToken.NONE;
    wQ = Linear.create(s.child("W_q"), d, d);
    wK = Linear.create(s.child("W_k"), d, d);
    wV = Linear.create(s.child("W_v"), d, d);
    wO = Linear.create(s.child("W_o"), d, d);
    dualLnS = globalSlots ? LayerNorm.create(s.child("dual_ln_s"), d, spec.layerNormEpsilon()) : null;
    dualLnL = LayerNorm.create(s.child("dual_ln_l"), d, spec.layerNormEpsilon());
    dconvFc = r > 0 ? Linear.create(s.child("dconv_fc"), d, spec.heads() * r) : null;
  }
}
