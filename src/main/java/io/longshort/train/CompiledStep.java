package io.longshort.train;

import io.longshort.compile.XlaFunction;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.core.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * One whole training step as one function call that XLA must compile: forward pass, loss,
 * gradients (Graph.addGradients in the function's graph), clipping, learning-rate schedule and the
 * optimizer's update of every parameter and slot, and the step increment. The parameters and the
 * optimizer's state variables (of {@code optimizer}, built in the outer graph) are DT_RESOURCE
 * arguments of the function, updated with AssignVariableOp inside it. The call's outputs are the
 * loss, the learning rate of the update and the gradient norm before clipping; they depend on the
 * updates, so fetching them runs the whole step. It is fed like the plain step: the training
 * graph's inputs, labels, dropout seed and rate.
 */
public final class CompiledStep<T extends TFloating> {
  /** The call op's name in the outer graph. */
  public static final String NAME = "train_step";

  /** Adds ops to the body on the loss (tests plant a non-compilable op here); returns the loss output. */
  @FunctionalInterface
  public interface Extra<T extends TFloating> {
    Operand<T> apply(GraphScope<T> scope, Operand<T> loss);
  }

  private final XlaFunction.Call call;
  private final Operand<T> loss;
  private final Operand<T> learningRate;
  private final Operand<T> gradientNorm;

  private CompiledStep(XlaFunction.Call call, Class<T> dtype) {
    this.call = call;
    this.loss = call.output(0, dtype);
    this.learningRate = call.output(1, dtype);
    this.gradientNorm = call.output(2, dtype);
  }

  /** The step with {@code _XlaMustCompile = true}. */
  public static <T extends TFloating> CompiledStep<T> build(ModelGraph<T> graph, Optimizer<T> optimizer) {
    return build(graph, optimizer, true, null);
  }

  /**
   * @param graph a training graph ({@link ModelGraph#buildForTraining}); the call is added to it
   * @param optimizer the optimizer of {@code graph}'s parameters, whose state the step updates
   * @param mustCompile false for the same function without XLA (to compare)
   * @param extra null, or ops to add in the body
   */
  public static <T extends TFloating> CompiledStep<T> build(ModelGraph<T> graph, Optimizer<T> optimizer,
      boolean mustCompile, Extra<T> extra) {
    if (!graph.training()) {
      throw new IllegalArgumentException("not a training graph");
    }
    List<Operand<?>> inputs = new ArrayList<>(graph.inputs().values());
    inputs.add(graph.dropoutSeed());
    inputs.add(graph.dropoutRate());
    inputs.add(graph.labels());
    int n = inputs.size();
    GraphScope<T> root = GraphScope.root(graph.parameters());
    XlaFunction.Call call = XlaFunction.build(root, NAME, inputs, (scope, args) -> {
      List<Operand<?>> in = new ArrayList<>();
      for (int i = 0; i < n - 1; i++) {
        in.add(args.get(i));
      }
      Operand<T> loss = graph.trainingLoss(scope, in, args.get(n - 1, TInt32.class));
      Graph body = scope.parameters().graph();
      List<Parameter<T>> params = scope.parameters().list();
      Output<?>[] grads = body.addGradients(loss.asOutput(),
          params.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
      List<Operand<T>> g = new ArrayList<>();
      for (Output<?> o : grads) {
        Objects.requireNonNull(o, "a parameter without gradient");
        g.add(o.expect(scope.dtype()));
      }
      Optimizer<T> inner = Optimizer.forFunctionBody(body, optimizer, params, g, args::bindResource);
      // the outputs wait for every assign, so that fetching them runs the whole update
      Ops after = Ops.create(body).withSubScope("results").withControlDependencies(List.of(inner.update()));
      Operand<T> out = loss;
      if (extra != null) {
        out = extra.apply(scope, loss);
      }
      return List.of(after.withName("loss").identity(out),
          after.withName("learning_rate").identity(inner.learningRate()),
          after.withName("gradient_norm").identity(inner.gradientNorm()));
    }, mustCompile);
    return new CompiledStep<>(call, graph.parameters().dtype());
  }

  public XlaFunction.Call call() {
    return call;
  }

  /** The mean loss of the batch, before the update. */
  public Operand<T> loss() {
    return loss;
  }

  /** The learning rate this update used. */
  public Operand<T> learningRate() {
    return learningRate;
  }

  /** The global norm of the gradients, before clipping. */
  public Operand<T> gradientNorm() {
    return gradientNorm;
  }
}
