package io.longshort.train;

import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * One variable of the training state as checkpoints see it: its name, how to read it, and a
 * placeholder + assign pair to set it.
 */
public record TrainingVariable(String name, long[] shape, Class<? extends TType> dtype, Operand<?> value,
    Operand<?> setValue, Op assign) {

  /** A model parameter as stored: in its variable dtype (float32 master weights under mixed precision). */
  public static <T extends TFloating> TrainingVariable of(Parameters<T> params, Parameter<T> p) {
    Parameters.Setter<T> setter = params.setter(p);
    return new TrainingVariable(p.name(), p.shape(), p.variableDtype(), p.variable(), setter.value(),
        setter.assign());
  }

  /**
   * An optimizer variable, its setter built in {@code tf} (one scope for all of them: TF Java's
   * withSubScope scans the whole graph each time).
   */
  public static <U extends TType> TrainingVariable of(Ops tf, StateVariable<U> v) {
    Placeholder<U> value = tf.withName(v.name() + "_value").placeholder(v.dtype(), Placeholder.shape(Shape.of(v.shape())));
    Op assign = tf.withName(v.name() + "_assign").assignVariableOp(v.handle(), value);
    return new TrainingVariable("optimizer/" + v.name(), v.shape(), v.dtype(), v.value(), value, assign);
  }
}
