package io.longshort.compile;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Recomputation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.IdentityN;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * {@link Recomputation} with what TF Java 1.1.0 has (no {@code recompute_grad}), through the same
 * {@code IdentityN} carrier as {@link XlaPieces}' gradients ({@link XlaGradients}):
 *
 * <ul>
 *   <li>forward: the block is built in the graph as usual, y = block(inputs; θ), and y goes on behind a
 *       StopGradient, as output 0 of a carrier {@code IdentityN(y, inputs..., θ values...)}; no gradient
 *       reads the block's activations, so TensorFlow frees each once the forward pass has used it;
 *   <li>backward: the carrier's gradient calls a function G(inputs, θ, dy) = (d inputs, d θ) that
 *       builds the block again from its arguments (parameters as arguments too,
 *       {@link Parameters#fromValues}) and differentiates it against dy, so the activations live only
 *       while G runs. The gradients reach the optimizer as those of the parameters' values, where
 *       {@link io.longshort.graph.core.Gradients} asks for them.
 * </ul>
 *
 * <p>Every argument of G passes through an Identity with a control dependency on dy: its ops cannot
 * start before the backward pass reaches the block (else the executor would run them early, beside
 * the forward pass, and keep their results), and the rebuilt ops cannot be merged with the forward's
 * identical ones by common-subexpression elimination. G is not compiled by XLA; its call is marked
 * to be inlined ({@link XlaFunction.Definition#callInlined}), and the block is rebuilt in it with the
 * scope's compiled pieces ({@link GraphScope#compiledPieces}), each a must-compile call nested in G, as
 * in the forward. The block's dropout must be given its seed and rate as inputs and number its call
 * sites as where it was first built ({@link io.longshort.graph.core.Dropout#continuing}): the rebuilt
 * block then drops the same units.
 */
public final class Recompute implements Recomputation {
  /** Each block rebuilt whole ({@link Segments#BLOCKS}): what every model takes. */
  public static final Recompute INSTANCE = new Recompute(Segments.BLOCKS);

  /**
   * Each block of the classifiers' encoder rebuilt as its attention half and its MLP half ({@link
   * Segments#HALVES}): a lower peak for more time (bench/recompute/README.md).
   */
  public static final Recompute HALVES = new Recompute(Segments.HALVES);

  private final Segments segments;

  private Recompute(Segments segments) {
    this.segments = segments;
  }

  /** The recomputation of {@code segments}, or null (off) for null. */
  public static Recompute of(Segments segments) {
    return segments == null ? null : segments == Segments.BLOCKS ? INSTANCE : HALVES;
  }

  @Override
  public Segments segments() {
    return segments;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T extends TFloating> Operand<T> apply(GraphScope<T> s, String name, List<? extends Operand<?>> inputs,
      int differentiable, Block<T> block) {
    if (differentiable < 1 || differentiable > inputs.size()) {
      throw new IllegalArgumentException("differentiable (" + differentiable + ") must be in 1.." + inputs.size()
          + " (the inputs of block '" + name + "')");
    }
    Parameters<T> outer = s.parameters();
    if (outer.isFunctionBody()) {
      throw new IllegalArgumentException("recompute (--recompute) does not combine with an XLA-compiled training"
          + " step (--xla): block '" + name + "' would be rebuilt inside the step's function");
    }
    List<Output<?>> in = inputs.stream().<Output<?>>map(Operand::asOutput).toList();
    // (B, N, D): the block as usual
    Operand<T> y = block.build(s, in);
    ParametersRead read = parametersOf(s, in, block);
    List<String> names = read.read();
    List<Operand<T>> values = new ArrayList<>();
    for (String n : names) {
      values.add(outer.get(n).value());
    }
    int k = in.size();
    List<Operand<?>> likes = new ArrayList<>(in);
    likes.addAll(values);
    likes.add(y);
    // (inputs, θ, dy) -> (d inputs, d θ)
    XlaFunction.Definition grad = XlaFunction.define(s, name + "_recompute", likes, (fs, args) -> {
      Ops ftf = fs.tf();
      Output<?> dy = args.get(k + names.size());
      Ops afterDy = ftf.withControlDependencies(List.of(ftf.identity(dy)));
      List<Output<?>> gated = new ArrayList<>();
      for (int i = 0; i < k + names.size(); i++) {
        gated.add(afterDy.withName("gated" + i).identity((Operand<TType>) args.get(i)).asOutput());
      }
      Map<String, Operand<T>> byName = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        byName.put(names.get(i), (Operand<T>) gated.get(k + i));
      }
      // parameters the block builds but its output does not read (a half of a block): zeros, pruned unused
      for (String n : read.unread()) {
        Operand<T> like = outer.get(n).value();
        byName.put(n, ftf.zeros(ftf.constant(like.shape().asArray()), like.type()));
      }
      Graph g = fs.parameters().graph();
      // the forward's compiled pieces (LayerNorm, GELU, dropout), if it had them: the same fused loops again
      GraphScope<T> rebuilt = scopeLike(s, Parameters.fromValues(g, outer, byName));
      if (s.compiledPieces() != null) {
        rebuilt = rebuilt.withCompiledPieces(s.compiledPieces());
      }
      Operand<T> again = block.build(rebuilt, gated.subList(0, k));
      // the differentiable inputs and the parameters; the others (mask, dropout seed and rate) get zeros
      List<Integer> wrt = new ArrayList<>();
      for (int i = 0; i < gated.size(); i++) {
        if (i < differentiable || i >= k) {
          wrt.add(i);
        }
      }
      Output<?>[] d = g.addGradients(name + "_grad", new Output<?>[] {again.asOutput()},
          wrt.stream().map(gated::get).toArray(Output<?>[]::new), new Output<?>[] {dy});
      List<Operand<?>> out = new ArrayList<>();
      for (int i = 0; i < gated.size(); i++) {
        int j = wrt.indexOf(i);
        out.add(j >= 0 && d[j] != null ? d[j] : ftf.zerosLike((Operand<TType>) args.get(i)));
      }
      return out;
    }, false);
    List<Operand<?>> carried = new ArrayList<>();
    carried.add(s.tf().stopGradient(y));
    carried.addAll(in);
    carried.addAll(values);
    IdentityN carrier = s.tf().withName(name + "_carrier").identityN(carried);
    XlaGradients.register((GraphOperation) carrier.op(), (tf, op, dy) -> {
      List<Output<?>> args = new ArrayList<>();
      for (int i = 1; i < op.numInputs(); i++) {
        args.add(op.input(i));
      }
      args.add(dy);
      // inlined although the compiled pieces inside are stateful calls: TensorFlow would otherwise run G as a
      // function call of its own, which cost memory and time (bench/recompute/README.md, round 4)
      return grad.callInlined(tf, name + "_recompute", args);
    });
    return (Operand<T>) carrier.output().get(0);
  }

  /**
   * The PyTorch names of the parameters {@code block}'s output depends on, in the order it asks for
   * them, and of those it builds without reading (a block may be applied in parts, each part building
   * the whole block's parameters): only the first are carried and differentiated.
   */
  private record ParametersRead(List<String> read, List<String> unread) {}

  private static <T extends TFloating> ParametersRead parametersOf(GraphScope<T> s, List<Output<?>> in, Block<T> block) {
    try (Graph scratch = new Graph()) {
      Parameters<T> seen = Parameters.forFunctionBody(scratch, s.parameters());
      Ops tf = Ops.create(scratch);
      List<Output<?>> stand = new ArrayList<>();
      for (int i = 0; i < in.size(); i++) {
        stand.add(placeholderLike(tf.withName("in" + i), in.get(i)));
      }
      Operand<T> out = block.build(scopeLike(s, seen), stand);
      Set<String> upstream = opsUpstreamOf((GraphOperation) out.op());
      List<String> read = new ArrayList<>();
      List<String> unread = new ArrayList<>();
      for (Parameter<T> p : seen.list()) {
        (upstream.contains(p.value().op().name()) ? read : unread).add(p.name());
      }
      return new ParametersRead(read, unread);
    }
  }

  /** The names of {@code op} and of every op its data inputs come from. */
  private static Set<String> opsUpstreamOf(GraphOperation op) {
    Set<String> seen = new HashSet<>();
    Deque<GraphOperation> todo = new ArrayDeque<>(List.of(op));
    while (!todo.isEmpty()) {
      GraphOperation next = todo.pop();
      if (seen.add(next.name())) {
        for (int i = 0; i < next.numInputs(); i++) {
          todo.push((GraphOperation) next.input(i).op());
        }
      }
    }
    return seen;
  }

  /** A root scope of {@code params} with the names of {@code s} (same TF name scope, same PyTorch prefix). */
  private static <T extends TFloating> GraphScope<T> scopeLike(GraphScope<T> s, Parameters<T> params) {
    GraphScope<T> scope = GraphScope.root(params);
    if (!s.name().isEmpty()) {
      for (String part : s.name().split("\\.")) {
        scope = scope.child(part);
      }
    }
    return scope;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Output<?> placeholderLike(Ops tf, Output<?> in) {
    Class type = in.type();
    return tf.placeholder(type, org.tensorflow.op.core.Placeholder.shape(in.shape())).asOutput();
  }
}
