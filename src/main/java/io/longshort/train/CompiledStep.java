package io.longshort.train;

import io.longshort.compile.XlaFunction;
import io.longshort.data.BatchSource;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.model.TrainableModel;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * One whole training step as one function call that XLA must compile: forward pass, loss,
 * gradients ({@link Gradients}, in the function's graph), clipping, learning-rate schedule and the
 * optimizer's update of every parameter and slot, and the step increment. The parameters and the
 * optimizer's state variables (of {@code optimizer}, built in the outer graph) are DT_RESOURCE
 * arguments of the function, updated with AssignVariableOp inside it. The call's outputs are the
 * loss, the learning rate of the update and the gradient norm before clipping; they depend on the
 * updates, so fetching them runs the whole step. It is fed like the plain step: the training
 * graph's inputs, labels, dropout seed and rate.
 *
 * <p>Mixed precision works as in the plain step: the body computes in the model's compute dtype
 * (bfloat16) from casts of the float32 variable reads, the loss is widened to float32, and the
 * gradients are taken with respect to the float32 reads, so the update is float32.
 */
public final class CompiledStep<T extends TFloating> implements TrainStep {
  /** The call op's name in the outer graph. */
  public static final String NAME = "train_step";

  /** Adds ops to the body on the loss (tests plant a non-compilable op here); returns the loss output. */
  @FunctionalInterface
  public interface Extra<T extends TFloating> {
    Operand<T> apply(GraphScope<T> scope, Operand<T> loss);
  }

  private final TrainableModel<T> model;
  private final Optimizer<?> optimizer;
  private final long seed;
  private final XlaFunction.Call call;

  private CompiledStep(TrainableModel<T> model, Optimizer<?> optimizer, long seed, XlaFunction.Call call) {
    this.model = model;
    this.optimizer = optimizer;
    this.seed = seed;
    this.call = call;
  }

  /** The step with {@code _XlaMustCompile = true}; dropout masks from (seed, step). */
  public static <T extends TFloating, V extends TFloating> CompiledStep<T> build(TrainableModel<T> model,
      Optimizer<V> optimizer, long seed) {
    return build(model, optimizer, seed, true, null);
  }

  /** The step without dropout seed of its own (seed 0), compiled or not, with {@code extra} ops in its body. */
  public static <T extends TFloating, V extends TFloating> CompiledStep<T> build(TrainableModel<T> model,
      Optimizer<V> optimizer, boolean mustCompile, Extra<T> extra) {
    return build(model, optimizer, 0, mustCompile, extra);
  }

  /** The must-compile step, dropout seed 0. */
  public static <T extends TFloating, V extends TFloating> CompiledStep<T> build(TrainableModel<T> model,
      Optimizer<V> optimizer) {
    return build(model, optimizer, 0, true, null);
  }

  /**
   * @param model a training graph that can rebuild its loss ({@link TrainableModel#trainingLoss}); the
   *     call is added to it
   * @param optimizer the optimizer of the model's variables (in their stored dtype V), whose state
   *     the step updates
   * @param mustCompile false for the same function without XLA (to compare)
   * @param extra null, or ops to add in the body
   */
  public static <T extends TFloating, V extends TFloating> CompiledStep<T> build(TrainableModel<T> model,
      Optimizer<V> optimizer, long seed, boolean mustCompile, Extra<T> extra) {
    if (!model.training()) {
      throw new IllegalArgumentException("not a training graph");
    }
    if (optimizer.spec().accumulationSteps() != 1) {
      throw new IllegalArgumentException("an XLA-compiled step takes accumulationSteps 1 (got "
          + optimizer.spec().accumulationSteps() + ")");
    }
    Class<V> variableDtype = optimizer.learningRate().type();
    List<Operand<?>> inputs = new ArrayList<>(model.inputs().values());
    if (model.dropoutSeed() != null) {
      inputs.add(model.dropoutSeed());
      inputs.add(model.dropoutRate());
    }
    inputs.add(model.labels());
    int n = inputs.size();
    GraphScope<T> root = GraphScope.root(model.parameters());
    XlaFunction.Call call = XlaFunction.build(root, NAME, inputs, (scope, args) -> {
      List<Operand<?>> in = new ArrayList<>();
      for (int i = 0; i < n - 1; i++) {
        in.add(args.get(i));
      }
      Operand<?> loss = model.trainingLoss(scope, in, args.get(n - 1, TInt32.class));
      Graph body = scope.parameters().graph();
      var params = Gradients.asVariables(scope.parameters().list(), variableDtype);
      Optimizer<V> inner = Optimizer.forFunctionBody(body, optimizer, params,
          Gradients.of(body, loss, params, variableDtype), args::bindResource);
      // the outputs wait for every assign, so that fetching them runs the whole update
      Ops after = Ops.create(body).withSubScope("results").withControlDependencies(List.of(inner.update()));
      // extra ops see the loss in the compute dtype: full-precision bodies only
      @SuppressWarnings("unchecked")
      Operand<?> out = extra != null ? extra.apply(scope, (Operand<T>) loss) : loss;
      return List.of(after.withName("loss").identity(out.asOutput()),
          after.withName("learning_rate").identity(inner.learningRate()),
          after.withName("gradient_norm").identity(inner.gradientNorm()));
    }, mustCompile);
    return new CompiledStep<>(model, optimizer, seed, call);
  }

  public XlaFunction.Call call() {
    return call;
  }

  /** The mean loss of the batch, before the update. */
  public Output<?> loss() {
    return call.outputs().get(0);
  }

  /** The learning rate this update used. */
  public Output<?> learningRate() {
    return call.outputs().get(1);
  }

  /** The global norm of the gradients, before clipping. */
  public Output<?> gradientNorm() {
    return call.outputs().get(2);
  }

  @Override
  public Session session() {
    return model.session();
  }

  @Override
  public Optimizer<?> optimizer() {
    return optimizer;
  }

  @Override
  public long examplesPerUpdate(int batchSize) {
    return batchSize;
  }

  @Override
  public Outcome run(long step, BatchSource data) {
    // the call's outputs depend on every update in it
    return Feeds.runStep(model, data.batch(step), seed, step, null, loss(), learningRate(), gradientNorm());
  }
}
