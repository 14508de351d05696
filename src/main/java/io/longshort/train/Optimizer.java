package io.longshort.train;

import io.longshort.graph.core.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * The parameter update as graph ops on resource variables, so a whole training step runs inside
 * TensorFlow (and can be compiled by XLA): global-norm clipping, the learning-rate schedule
 * computed from the step counter, then AdamW / Adam / SGD with momentum, written out with
 * PyTorch's semantics (see {@link OptimizerSpec}). The framework's optimizers only handle
 * VariableV2 variables, hence our own.
 *
 * <p>Letters: P parameters; every slot has its parameter's shape.
 */
public final class Optimizer<T extends TFloating> {
  private final OptimizerSpec spec;
  private final Ops tf;
  private final Ops initTf;
  private final Class<T> dtype;
  private final List<Parameter<T>> params;
  private final List<StateVariable<?>> state = new ArrayList<>();
  private final StateVariable<TInt64> step;
  private final List<StateVariable<T>> first = new ArrayList<>();
  private final List<StateVariable<T>> second = new ArrayList<>();
  private final List<StateVariable<T>> accumulators = new ArrayList<>();
  private final Operand<T> learningRate;
  private Operand<T> gradientNorm;
  private final Op update;
  private final Op accumulate;
  /** Whose variables this optimizer's state handles stand for (a function body's); null otherwise. */
  private final Optimizer<T> owner;
  private final BiConsumer<Operand<?>, Operand<?>> bind;

  /**
   * @param grads d loss / d parameter, one per parameter (for accumulation: of one micro-batch)
   */
  public Optimizer(Graph graph, OptimizerSpec spec, List<Parameter<T>> params, List<Operand<T>> grads) {
    this(graph, spec, params, grads, null, null);
  }

  /**
   * The same update built in a function body's graph ({@code body}) on {@code owner}'s state: every
   * slot and the step counter is a bare resource handle in {@code body}, handed to {@code bind}
   * with the owner's handle of the same variable (e.g. {@code XlaFunction.Args::bindResource}), so
   * that the function receives it as a DT_RESOURCE argument and its assigns update the owner's
   * variables. {@code params} are the body's parameters ({@code Parameters.forFunctionBody}),
   * {@code grads} gradients computed in the body. Only without gradient accumulation.
   */
  public static <T extends TFloating> Optimizer<T> forFunctionBody(Graph body, Optimizer<T> owner,
      List<Parameter<T>> params, List<Operand<T>> grads, BiConsumer<Operand<?>, Operand<?>> bind) {
    if (owner.owner != null) {
      throw new IllegalArgumentException("the owner must be an optimizer of the outer graph");
    }
    if (owner.spec.accumulationSteps() > 1) {
      throw new IllegalArgumentException("a function-body optimizer does not accumulate gradients"
          + " (accumulationSteps " + owner.spec.accumulationSteps() + ")");
    }
    return new Optimizer<>(body, owner.spec, params, grads, owner, java.util.Objects.requireNonNull(bind, "bind"));
  }

  private Optimizer(Graph graph, OptimizerSpec spec, List<Parameter<T>> params, List<Operand<T>> grads,
      Optimizer<T> owner, BiConsumer<Operand<?>, Operand<?>> bind) {
    if (params.size() != grads.size()) {
      throw new IllegalArgumentException(params.size() + " parameters but " + grads.size() + " gradients");
    }
    this.spec = spec;
    this.owner = owner;
    this.bind = bind;
    this.params = List.copyOf(params);
    this.tf = Ops.create(graph).withSubScope("optimizer");
    this.initTf = tf.withInitScope();
    this.dtype = params.get(0).dtype();
    for (Parameter<T> p : params) {
      if (p.mixed()) {
        throw new IllegalArgumentException("parameter '" + p.name() + "' is a " + p.dtype().getSimpleName()
            + " cast of a " + p.variableDtype().getSimpleName() + " variable: give the optimizer the variable,"
            + " p.asVariable(" + p.variableDtype().getSimpleName() + ".class)");
      }
    }
    step = variable("step", new long[0], TInt64.class);
    for (Parameter<T> p : params) {
      if (spec.type() != OptimizerSpec.Type.SGD || spec.momentum() > 0) {
        first.add(variable(p.name() + (spec.type() == OptimizerSpec.Type.SGD ? ".momentum" : ".m"), p.shape(), dtype));
      }
      if (spec.type() != OptimizerSpec.Type.SGD) {
        second.add(variable(p.name() + ".v", p.shape(), dtype));
      }
      if (spec.accumulationSteps() > 1) {
        accumulators.add(variable(p.name() + ".accumulated", p.shape(), dtype));
      }
    }
    learningRate = tf.withName("learning_rate").identity(schedule(tf.dtypes.cast(step.value(), dtype)));
    if (spec.accumulationSteps() > 1) {
      List<Op> adds = new ArrayList<>();
      for (int i = 0; i < params.size(); i++) {
        adds.add(tf.assignAddVariableOp(accumulators.get(i).handle(), grads.get(i)));
      }
      accumulate = tf.withControlDependencies(adds).withName("accumulate").noOp();
      Operand<T> scale = tf.constant(dtype, 1.0 / spec.accumulationSteps());
      List<Operand<T>> mean = accumulators.stream().map(a -> (Operand<T>) tf.math.mul(read(a), scale)).toList();
      Op apply = updateOps(mean);
      // the accumulators restart from zero once their sum has been applied
      List<Op> zero = new ArrayList<>();
      for (StateVariable<T> a : accumulators) {
        zero.add(tf.withControlDependencies(List.of(apply)).assignVariableOp(a.handle(), tf.zerosLike(read(a))));
      }
      update = tf.withControlDependencies(zero).withName("update").noOp();
    } else {
      accumulate = null;
      update = updateOps(grads);
    }
  }

  /** One update from gradients: clip, decay, adapt, assign every parameter and slot, then step + 1. */
  private Op updateOps(List<Operand<T>> grads) {
    List<Operand<T>> g = clip(grads);
    Operand<T> lr = learningRate;
    Operand<T> one = tf.constant(dtype, 1.0);
    // bias corrections use t = step + 1, the number of this update
    Operand<T> t = tf.math.add(tf.dtypes.cast(step.value(), dtype), one);
    Operand<T> b1 = tf.constant(dtype, spec.beta1());
    Operand<T> b2 = tf.constant(dtype, spec.beta2());
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Parameter<T> p = params.get(i);
      Operand<T> grad = g.get(i);
      // every parameter-sized term waits for the gradient: the executor would otherwise run the
      // terms that do not need it (beta1 m, beta2 v, the decayed weight) at the start of the step
      // and keep them alive through the whole forward and backward pass, three parameter-sized
      // buffers per parameter at the step's peak
      Ops afterGrad = tf.withControlDependencyOps(grad.op());
      Operand<T> w = afterGrad.identity(p.value());
      if (spec.weightDecay() > 0 && spec.type() != OptimizerSpec.Type.ADAMW) {
        grad = tf.math.add(grad, tf.math.mul(w, tf.constant(dtype, spec.weightDecay())));
      }
      Operand<T> next;
      if (spec.type() == OptimizerSpec.Type.SGD) {
        Operand<T> direction = grad;
        if (spec.momentum() > 0) {
          // buf = momentum * buf + g (PyTorch's first step, buf = g, is the same from buf = 0)
          StateVariable<T> buf = first.get(i);
          direction = tf.math.add(tf.math.mul(read(afterGrad, buf), tf.constant(dtype, spec.momentum())), grad);
          assigns.add(tf.assignVariableOp(buf.handle(), direction));
        }
        next = tf.math.sub(w, tf.math.mul(lr, direction));
      } else {
        StateVariable<T> m = first.get(i);
        StateVariable<T> v = second.get(i);
        Operand<T> mNext = tf.math.add(tf.math.mul(read(afterGrad, m), b1), tf.math.mul(grad, tf.math.sub(one, b1)));
        Operand<T> vNext = tf.math.add(tf.math.mul(read(afterGrad, v), b2),
            tf.math.mul(tf.math.square(grad), tf.math.sub(one, b2)));
        Operand<T> mHat = tf.math.div(mNext, tf.math.sub(one, tf.math.pow(b1, t)));
        Operand<T> vHat = tf.math.div(vNext, tf.math.sub(one, tf.math.pow(b2, t)));
        Operand<T> adam = tf.math.div(mHat, tf.math.add(tf.math.sqrt(vHat), tf.constant(dtype, spec.epsilon())));
        Operand<T> decayed = spec.type() == OptimizerSpec.Type.ADAMW && spec.weightDecay() > 0
            ? tf.math.mul(w, tf.math.sub(one, tf.math.mul(lr, tf.constant(dtype, spec.weightDecay()))))
            : w;
        next = tf.math.sub(decayed, tf.math.mul(lr, adam));
        assigns.add(tf.assignVariableOp(m.handle(), mNext));
        assigns.add(tf.assignVariableOp(v.handle(), vNext));
      }
      assigns.add(tf.assignVariableOp(p.handle(), next));
    }
    // the counter moves only after every update has read it
    Op increment = tf.withControlDependencies(assigns).assignAddVariableOp(step.handle(), tf.constant(1L));
    return tf.withControlDependencies(List.of(increment)).withName("step").noOp();
  }

  /** PyTorch's clip_grad_norm_: scale by min(1, clip / (norm + 1e-6)); also exposes the norm. */
  private List<Operand<T>> clip(List<Operand<T>> grads) {
    Operand<T> sum = null;
    for (Operand<T> g : grads) {
      Operand<T> sq = tf.sum(tf.math.square(g), tf.constant(allAxes(g)));
      sum = sum == null ? sq : tf.math.add(sum, sq);
    }
    gradientNorm = tf.withName("gradient_norm").identity(tf.math.sqrt(sum));
    if (spec.clipNorm() <= 0) {
      return grads;
    }
    Operand<T> scale = tf.math.minimum(tf.constant(dtype, 1.0), tf.math.div(tf.constant(dtype, spec.clipNorm()),
        tf.math.add(gradientNorm, tf.constant(dtype, 1e-6))));
    return grads.stream().map(g -> (Operand<T>) tf.math.mul(g, scale)).toList();
  }

  /** lr(s): linear warm-up from 0, then constant, linear or cosine decay to 0 at totalSteps. */
  private Operand<T> schedule(Operand<T> s) {
    Operand<T> base = tf.constant(dtype, spec.learningRate());
    Operand<T> warm = tf.constant(dtype, Math.max(1, spec.warmupSteps()));
    Operand<T> warmup = tf.math.div(tf.math.mul(base, s), warm);
    Operand<T> progress = tf.math.minimum(tf.constant(dtype, 1.0), tf.math.div(
        tf.math.sub(s, tf.constant(dtype, spec.warmupSteps())),
        tf.constant(dtype, Math.max(1, spec.totalSteps() - spec.warmupSteps()))));
    Operand<T> after = switch (spec.schedule()) {
      case CONSTANT -> base;
      case LINEAR -> tf.math.mul(base, tf.math.sub(tf.constant(dtype, 1.0), progress));
      case COSINE -> tf.math.mul(base, tf.math.mul(tf.constant(dtype, 0.5),
          tf.math.add(tf.constant(dtype, 1.0), tf.math.cos(tf.math.mul(tf.constant(dtype, Math.PI), progress)))));
    };
    return tf.select(tf.math.less(s, tf.constant(dtype, spec.warmupSteps())), warmup, after);
  }

  private <U extends TType> StateVariable<U> variable(String name, long[] shape, Class<U> type) {
    if (owner != null) {
      StateVariable<?> outer = owner.state.stream().filter(v -> v.name().equals(name)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("the owner optimizer has no variable '" + name + "'"));
      if (!java.util.Arrays.equals(outer.shape(), shape) || outer.dtype() != type) {
        throw new IllegalArgumentException("variable '" + name + "' differs from the owner's");
      }
      // a bare handle: the function receives the owner's handle in its place
      VarHandleOp handle = tf.withName(name).varHandleOp(type, Shape.of(shape),
          VarHandleOp.sharedName("optimizer/" + name));
      bind.accept(handle, outer.handle());
      StateVariable<U> v = new StateVariable<>(name, shape.clone(), type, handle,
          tf.withName(name + "_read").readVariableOp(handle, type), null);
      state.add(v);
      return v;
    }
    VarHandleOp handle = initTf.withName(name).varHandleOp(type, Shape.of(shape),
        VarHandleOp.sharedName("optimizer/" + name));
    var zero = initTf.zeros(initTf.constant(Shape.of(shape).asArray()), type);
    var init = initTf.withName(name + "_assign").assignVariableOp(handle, zero);
    StateVariable<U> v = new StateVariable<>(name, shape.clone(), type, handle,
        tf.withName(name + "_read").readVariableOp(handle, type), init);
    state.add(v);
    return v;
  }

  private Operand<T> read(StateVariable<T> v) {
    return read(tf, v);
  }

  /** v's value, read through {@code ops} (e.g. with control dependencies). */
  private Operand<T> read(Ops ops, StateVariable<T> v) {
    return ops.readVariableOp(v.handle(), dtype);
  }

  private static int[] allAxes(Operand<?> x) {
    int[] axes = new int[x.shape().numDimensions()];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = i;
    }
    return axes;
  }

  public OptimizerSpec spec() {
    return spec;
  }

  /** Runs one update from the gradients (or, with accumulation, from the accumulated mean). */
  public Op update() {
    return update;
  }

  /** Adds one micro-batch's gradients to the accumulators (only with accumulationSteps > 1). */
  public Op accumulate() {
    if (accumulate == null) {
      throw new IllegalStateException("accumulationSteps is 1: run update() every step");
    }
    return accumulate;
  }

  /** The learning rate the next update uses. */
  public Operand<T> learningRate() {
    return learningRate;
  }

  /** The global norm of the gradients, before clipping. */
  public Operand<T> gradientNorm() {
    return gradientNorm;
  }

  /** The number of updates made so far. */
  public Operand<TInt64> step() {
    return step.value();
  }

  /** The step counter and every slot, for checkpoints (in a function body: their bare handles). */
  public List<StateVariable<?>> state() {
    return List.copyOf(state);
  }
}
