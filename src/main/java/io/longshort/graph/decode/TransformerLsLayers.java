package io.longshort.graph.decode;

import io.longshort.graph.attention.ChunkedLongShortAttention;
import io.longshort.graph.core.PreLnBlock;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Initializer;
import io.longshort.graph.core.LayerNorm;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Recomputation;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The authors' {@code TransformerLSModel.forward} for one block as graph ops, with its parameters
 * under their state_dict names: {@code in_emb.weight} (tied to the output layer), {@code out_emb.bias},
 * {@code layers.<i>.attn.*}, {@code layers.<i>.norm1}, {@code norm2}, {@code ff.fc1}, {@code ff.fc2}.
 * Built by {@code io.longshort.graph.model.TransformerLsLm} inline or inside an XLA function body.
 *
 * <p>Letters: B batch, M block, Mp padded block, L cache length (mem_len), D width, F FFN width,
 * V vocabulary, NL layers, S compressed slots, W window.
 */
public final class TransformerLsLayers<T extends TFloating> {
  private static final double INIT_STD = 0.02;

  /** What one block gives: logits and log-probs (B, M, V) and the next cache (NL, B, L, D). */
  public record BlockOutputs<T extends TFloating>(Operand<T> logits, Operand<T> logprobs, Operand<T> nextCache) {}

  private final GraphScope<T> root;
  private final TransformerLsSpec spec;
  private final Dropout dropout;
  /** Rebuilds each layer's activations in the backward pass, or null (gradient checkpointing). */
  private final Recomputation recompute;
  private final Operand<T> inEmb;
  private final Operand<T> outBias;
  private final List<Layer<T>> layers = new ArrayList<>();

  /** Creates every parameter in {@code root}'s graph, initialised as the authors' {@code _init_weights}. */
  public TransformerLsLayers(GraphScope<T> root, TransformerLsSpec spec, Dropout dropout) {
    this(root, spec, dropout, null);
  }

  /**
   * The same, for a training graph whose backward pass rebuilds each layer from its input
   * ({@code recompute}; null: the layers' activations are kept, as the constructor above).
   */
  public TransformerLsLayers(GraphScope<T> root, TransformerLsSpec spec, Dropout dropout, Recomputation recompute) {
    if (recompute != null) {
      recompute.requireWholeBlocks("recompute: the authors' LM rebuilds whole layers");
    }
    this.root = root;
    this.spec = spec;
    this.dropout = dropout;
    this.recompute = recompute;
    int d = spec.width();
    inEmb = root.child("in_emb").parameter("weight", new long[] {spec.vocabSize(), d}, Initializer.normal(INIT_STD));
    outBias = root.child("out_emb").parameter("bias", new long[] {spec.vocabSize()}, Initializer.zeros());
    GraphScope<T> all = root.child("layers");
    for (int i = 0; i < spec.layers(); i++) {
      layers.add(new Layer<>(all.child(Integer.toString(i)), spec, dropout));
    }
  }

  /**
   * One block from the previous blocks' cache.
   *
   * @param ids (B, M) int32 token ids; M not a multiple of C is padded with id 0 to a multiple of
   *     lcm(C, W) as the authors' forward does, and the outputs cropped back to M
   * @param cache (NL, B, L, D): per layer, the hidden states the layer saw over the last L positions
   */
  public BlockOutputs<T> block(Operand<TInt32> ids, Operand<T> cache) {
    Ops tf = root.tf();
    int m = Shapes.staticDim(ids, 1, "input_ids");
    int mp = spec.paddedBlock(m);
    int d = spec.width();
    int l = spec.memLen();
    int v = spec.vocabSize();
    long[] cacheDims = cache.shape().asArray();
    if (cacheDims.length != 4 || cacheDims[0] != spec.layers() || cacheDims[2] != l || cacheDims[3] != d) {
      throw new IllegalArgumentException("cache must have shape (n_layer " + spec.layers() + ", B, mem_len " + l
          + ", d_model " + d + "), got " + cache.shape());
    }
    Operand<TInt32> padded = mp == m ? ids
        : tf.pad(ids, tf.constant(new int[][] {{0, 0}, {0, mp - m}}), tf.constant(0));
    // (B, Mp, D)
    Operand<T> h = dropout.apply(root, embed(padded));
    Operand<T> posWindow = dropout.apply(root, windowPositions());
    Operand<T> posChunks = chunkPositions(mp);

    List<Operand<T>> next = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      // (B, L, D)
      Operand<T> layerCache = Shapes.reshape(tf, Shapes.slice(tf, cache, new long[] {i, 0, 0, 0},
          new long[] {1, -1, l, d}), -1, l, d);
      // the last L positions of [cache ; layer input], padding included, with no gradient through it
      Operand<T> kept = l > mp
          ? Shapes.concat(tf, 1, List.of(Shapes.slice(tf, layerCache, new long[] {0, mp, 0},
              new long[] {-1, l - mp, d}), h))
          : Shapes.slice(tf, h, new long[] {0, mp - l, 0}, new long[] {-1, l, d});
      next.add(tf.stopGradient(kept));
      h = recompute == null ? layers.get(i).apply(h, layerCache, posWindow, posChunks)
          : recomputed(i, h, layerCache, posWindow, posChunks);
    }
    h = dropout.apply(root, h);
    Operand<T> logits = Shapes.reshape(tf, output(h), -1, mp, v);
    if (mp != m) {
      logits = Shapes.slice(tf, logits, new long[] {0, 0, 0}, new long[] {-1, m, v});
    }
    Operand<T> logprobs = tf.nn.logSoftmax(logits);
    return new BlockOutputs<>(logits, logprobs, tf.stack(next, Stack.axis(0L)));
  }

  /**
   * Layer i through {@link #recompute} (the last layer kept plain, {@link Recomputation#applyToBlock}):
   * only h is differentiated (the cache, like the position sinusoids, is an input of the step; its
   * norm1 still gets its gradient, from the rebuilt layer). Rebuilt in the gradient function, the
   * layer numbers its dropout sites from where it was first built here, so it drops the same units.
   *
   * @param h (B, Mp, D) the layer's input
   * @param layerCache (B, L, D) the layer's cache
   * @param posWindow (W, D) and {@code posChunks} (S, D) the position sinusoids
   * @return (B, Mp, D)
   */
  @SuppressWarnings("unchecked")
  private Operand<T> recomputed(int i, Operand<T> h, Operand<T> layerCache, Operand<T> posWindow,
      Operand<T> posChunks) {
    Layer<T> layer = layers.get(i);
    int sitesBefore = dropout.sites();
    // differentiable: h; then the cache, the sinusoids and the dropout seed and rate
    List<Operand<?>> in = new ArrayList<>(List.of(h, layerCache, posWindow, posChunks));
    if (dropout.active()) {
      in.add(dropout.seed());
      in.add(dropout.rate());
    }
    return recompute.applyToBlock(layer.scope(), "layer_" + i, i, layers.size(), in, 1, (bs, a) -> {
      Layer<T> built = bs.parameters() == root.parameters() ? layer // the first build: this graph's layer
          : new Layer<>(bs, spec, dropout.active()
              ? Dropout.continuing(a.get(4).expect(TInt64.class), a.get(5).expect(TFloat32.class), sitesBefore)
              : Dropout.none());
      return built.apply((Operand<T>) a.get(0), (Operand<T>) a.get(1), (Operand<T>) a.get(2), (Operand<T>) a.get(3));
    });
  }

  /** Token embeddings times sqrt(D): ids (B, N) -> (B, N, D). */
  public Operand<T> embed(Operand<TInt32> ids) {
    return root.tf().math.mul(root.tf().gather(inEmb, ids, root.tf().constant(0)), root.scalar(Math.sqrt(spec.width())));
  }

  /** Sinusoids of the window distances W-1 .. 0 (clamp_len applied): (W, D). */
  public Operand<T> windowPositions() {
    return sinusoids(distances(spec.window(), spec.clampLen()));
  }

  /** Sinusoids of the slot distances S-1 .. 0 for a block of Mp (cpos_clamp_len applied): (S, D). */
  public Operand<T> chunkPositions(int mp) {
    return sinusoids(distances((spec.memLen() + mp) / spec.chunkSize() * spec.chunkRank(), spec.cposClampLen()));
  }

  /** The tied output layer with its own bias: (..., D) -> logits (N', V), rows flattened. */
  public Operand<T> output(Operand<T> h) {
    Ops tf = root.tf();
    return tf.math.add(tf.linalg.matMul(Shapes.reshape(tf, h, -1, spec.width()), inEmb, MatMul.transposeB(true)),
        outBias);
  }

  public Layer<T> layer(int i) {
    return layers.get(i);
  }

  /** n-1, n-2, ..., 0, clamped at {@code clamp} when it is > 0. */
  private static double[] distances(int n, int clamp) {
    double[] out = new double[n];
    for (int j = 0; j < n; j++) {
      out[j] = clamp > 0 ? Math.min(n - 1 - j, clamp) : n - 1 - j;
    }
    return out;
  }

  /**
   * The authors' {@code PositionalEmbedding}: row j = [sin(p_j f) ; cos(p_j f)] (halves, not
   * interleaved), f_i = 1 / 10000^(2i / D); (n, D), from small constants at run time.
   */
  private Operand<T> sinusoids(double[] positions) {
    Ops tf = root.tf();
    int half = spec.width() / 2;
    double[] freq = new double[half];
    for (int i = 0; i < half; i++) {
      // float32 as torch computes it: 1 / 10000 ** (arange(0, D, 2) / D)
      freq[i] = (float) (1.0 / Math.pow(10000.0, (float) (2.0 * i / spec.width())));
    }
    Operand<T> p = Shapes.reshape(tf, constant(positions), positions.length, 1);
    Operand<T> angles = tf.math.mul(p, Shapes.reshape(tf, constant(freq), 1, half));
    return Shapes.concat(tf, 1, List.of(tf.math.sin(angles), tf.math.cos(angles)));
  }

  private Operand<T> constant(double[] values) {
    Ops tf = root.tf();
    return tf.dtypes.cast(tf.constant(values), root.dtype());
  }

  /** The authors' {@code TransformerLSLayer}: its own order, the residual added to the normalised input. */
  public static final class Layer<T extends TFloating> {
    private final GraphScope<T> s;
    private final boolean preLn;
    private final boolean gelu;
    private final Dropout dropout;
    private final ChunkedLongShortAttention<T> attn;
    private final LayerNorm<T> norm1;
    private final LayerNorm<T> norm2;
    private final Linear<T> fc1;
    private final Linear<T> fc2;

    Layer(GraphScope<T> s, TransformerLsSpec spec, Dropout dropout) {
      this.s = s;
      this.preLn = spec.preLn();
      this.gelu = spec.useGelu();
      this.dropout = dropout;
      attn = new ChunkedLongShortAttention<>(s.child("attn"), spec, dropout);
      norm1 = ChunkedLongShortAttention.layerNorm(s.child("norm1"), spec.width());
      GraphScope<T> ff = s.child("ff");
      fc1 = Linear.create(ff.child("fc1"), spec.width(), spec.innerWidth(), true, Initializer.normal(INIT_STD),
          Initializer.zeros());
      fc2 = Linear.create(ff.child("fc2"), spec.innerWidth(), spec.width(), true, Initializer.normal(INIT_STD),
          Initializer.zeros());
      norm2 = ChunkedLongShortAttention.layerNorm(s.child("norm2"), spec.width());
    }

    public ChunkedLongShortAttention<T> attention() {
      return attn;
    }

    /** The layer's scope ({@code layers.<i>}). */
    public GraphScope<T> scope() {
      return s;
    }

    /**
     * The layer as a block step runs it: h (B, Mp, D) from its cache (B, L, D) and the position
     * sinusoids (W, D) and (S, D) -> (B, Mp, D).
     */
    public Operand<T> apply(Operand<T> h, Operand<T> cache, Operand<T> posWindow, Operand<T> posChunks) {
      Operand<T> normalisedCache = normaliseCache(cache);
      return apply(h, x -> attn.apply(x, normalisedCache, posWindow, posChunks));
    }

    /** The cache as the attention reads it: through norm1 with pre-LN, as it is otherwise. */
    public Operand<T> normaliseCache(Operand<T> cache) {
      return preLn ? norm1.apply(cache) : cache;
    }

    /**
     * h (B, N, D) -> (B, N, D), with {@code attention} mapping the attention's input (h, through
     * norm1 with pre-LN) to its output.
     */
    public Operand<T> apply(Operand<T> h, java.util.function.UnaryOperator<Operand<T>> attention) {
      Ops tf = s.tf();
      if (preLn) {
        // pre-LN as the authors write it: the residual adds to the normalised h
        Operand<T> x = norm1.apply(h);
        Operand<T> y = norm2.apply(tf.math.add(x, attention.apply(x)));
        return tf.math.add(y, ff(y));
      }
      Operand<T> a = norm1.apply(tf.math.add(h, attention.apply(h)));
      return norm2.apply(tf.math.add(a, ff(a)));
    }

    /** fc1 -> GELU (erf) or ReLU -> dropout -> fc2 -> dropout. */
    private Operand<T> ff(Operand<T> x) {
      Ops tf = s.tf();
      Operand<T> hidden = fc1.apply(x);
      hidden = gelu ? PreLnBlock.gelu(s, hidden) : tf.nn.relu(hidden);
      return dropout.apply(s, fc2.apply(dropout.apply(s, hidden)));
    }
  }
}
