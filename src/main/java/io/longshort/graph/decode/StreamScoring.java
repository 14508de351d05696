package io.longshort.graph.decode;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * Scores up to C tokens with the authors' LM in one session run, as streaming evaluation does:
 * a While loop in the graph runs the C / M blocks one after the other, each from the cache the
 * previous one left (the first from the zero cache), so a serving request sends tokens and gets
 * per-token log-probs back, and the cache (about 800 MB per row at 32K positions for the base
 * model) never crosses the wire. Out: (B, C) log p(token i | tokens before i) for i >= 1, 0 at
 * i = 0. A row shorter than C may be padded with anything after its tokens: by causality no
 * score at or before a position depends on a later token.
 *
 * <p>Loop variables: the block index, the tokens (B, C + 1) (one pad column for the last target),
 * the scores (B, C + 1), the cache (NL, B, L, D), then the model's variables as resource handles
 * (as in {@link Generation}).
 *
 * <p>Letters: B batch, C capacity (a multiple of M), M block, NL layers, L cache length, D width, V vocabulary.
 */
public final class StreamScoring {
  private static final int I = 0;
  private static final int TOKENS = 1;
  private static final int SCORES = 2;
  private static final int CACHE = 3;

  private StreamScoring() {}

  /**
   * Adds the loop to {@code owner}'s graph.
   *
   * @param tokens (B, C) int32, B and C static, C a multiple of {@code block}
   * @return (B, C) log-probs in the compute dtype
   */
  public static <T extends TFloating> Operand<T> build(Ops tf, Parameters<T> owner, TransformerLsSpec spec, int block,
      Operand<TInt32> tokens) {
    Class<T> dtype = owner.dtype();
    long b = tokens.shape().get(0);
    long c = tokens.shape().get(1);
    if (b < 1 || c < 1 || c % block != 0 || spec.paddedBlock(block) != block) {
      throw new IllegalArgumentException("StreamScoring: tokens (" + tokens.shape() + ") must have a static batch and a"
          + " length that is a multiple of the block (" + block + "), itself a block the model runs unpadded");
    }
    int blocks = Math.toIntExact(c / block);
    List<Shape> shapes = List.of(Shape.scalar(), Shape.of(b, c + 1), Shape.of(b, c + 1),
        Shape.of(spec.layers(), b, spec.memLen(), spec.width()));
    List<Class<? extends TType>> types = List.of(TInt32.class, TInt32.class, dtype, dtype);
    Graph bodyGraph = new Graph();
    Graph condGraph = new Graph();
    try {
      Parameters<T> bodyParams = Parameters.forFunctionBody(bodyGraph, owner);
      Ops btf = Ops.create(bodyGraph);
      List<Operand<?>> state = Generation.placeholders(btf.withSubScope("state"), types, shapes);
      GraphScope<T> bodyRoot = GraphScope.root(bodyParams);
      List<Operand<?>> next = bodyStep(btf, new TransformerLsLayers<>(bodyRoot, spec, Dropout.none()), spec, block,
          b, c, state, dtype);
      List<Parameter<T>> params = owner.list();
      List<Operand<?>> bodyHandles = Generation.handles(bodyParams, params);
      Graph outer = owner.graph();
      Generation.LoopFunction body = Generation.function(bodyGraph, outer, "score_body", state, bodyHandles, next, true);

      Parameters<T> condParams = Parameters.forFunctionBody(condGraph, owner);
      Ops ctf = Ops.create(condGraph);
      List<Operand<?>> condState = Generation.placeholders(ctf.withSubScope("state"), types, shapes);
      List<Operand<?>> condHandles = Generation.handles(condParams, params);
      Operand<TBool> keepGoing = ctf.math.less(Generation.as(condState.get(I), TInt32.class), ctf.constant(blocks));
      Generation.LoopFunction cond = Generation.function(condGraph, outer, "score_cond", condState, condHandles,
          List.of(keepGoing), false);

      Operand<TInt32> padded = tf.pad(tokens, tf.constant(new int[][] {{0, 0}, {0, 1}}), tf.constant(0));
      List<Operand<?>> init = new ArrayList<>(List.of(tf.constant(0), padded,
          tf.fill(tf.constant(new int[] {(int) b, (int) c + 1}), tf.constant(dtype, 0.0)),
          tf.fill(tf.constant(new int[] {spec.layers(), (int) b, spec.memLen(), spec.width()}), tf.constant(dtype, 0.0))));
      for (Parameter<T> p : params) {
        init.add(p.handle());
      }
      List<Output<?>> out = Generation.whileLoop(tf, "score_loop", init, cond, body);
      Operand<T> scores = Generation.as(out.get(SCORES), dtype);
      return Shapes.slice(tf, scores, new long[] {0, 0}, new long[] {b, c});
    } finally {
      bodyGraph.close();
      condGraph.close();
    }
  }

  /** Block i: ids tokens[:, iM : iM + M], targets one further; their log-probs into scores[:, iM + 1 : iM + M + 1]. */
  private static <T extends TFloating> List<Operand<?>> bodyStep(Ops tf, TransformerLsLayers<T> layers,
      TransformerLsSpec spec, int m, long b, long c, List<Operand<?>> state, Class<T> dtype) {
    Operand<TInt32> i = Generation.as(state.get(I), TInt32.class);
    Operand<TInt32> tokens = Generation.as(state.get(TOKENS), TInt32.class);
    Operand<T> scores = Generation.as(state.get(SCORES), dtype);
    Operand<T> cache = Generation.as(state.get(CACHE), dtype);
    Operand<TInt32> start = tf.math.mul(i, tf.constant(m));
    Operand<TInt32> zero = tf.constant(0);
    Operand<TInt32> ids = tf.ensureShape(tf.slice(tokens, tf.stack(List.of(zero, start)),
        tf.constant(new int[] {(int) b, m})), Shape.of(b, m));
    Operand<TInt32> targets = tf.ensureShape(tf.slice(tokens, tf.stack(List.of(zero, tf.math.add(start, tf.constant(1)))),
        tf.constant(new int[] {(int) b, m})), Shape.of(b, m));
    TransformerLsLayers.BlockOutputs<T> out = layers.block(ids, cache);
    // (B, M): the log-prob of each position's next token
    Operand<T> picked = tf.sum(tf.math.mul(out.logprobs(), tf.oneHot(targets, tf.constant(spec.vocabSize()),
        tf.constant(dtype, 1.0), tf.constant(dtype, 0.0))), tf.constant(2));
    // placed at columns iM + 1 .. iM + M of (B, C + 1)
    Operand<TInt32> before = tf.math.add(start, tf.constant(1));
    Operand<TInt32> after = tf.math.sub(tf.constant((int) c - m), start);
    Operand<TInt32> paddings = tf.stack(List.of(tf.constant(new int[] {0, 0}), tf.stack(List.of(before, after))));
    Operand<T> placed = tf.ensureShape(tf.pad(picked, paddings, tf.constant(dtype, 0.0)), Shape.of(b, c + 1));
    return List.of(tf.math.add(i, tf.constant(1)), tokens, tf.math.add(scores, placed), out.nextCache());
  }
}
