package io.longshort.graph.core;

import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.family.TFloating;

/**
 * One trainable resource variable.
 *
 * <p>Under mixed precision ({@link Parameters#mixed}) the variable is stored in a wider dtype than
 * the graph computes in: {@code variable} reads it as stored (float32 master weights) and
 * {@code value} is that read cast once to the compute dtype (bfloat16), the tensor every layer
 * uses. Otherwise both are the same operand.
 *
 * @param name the PyTorch state_dict name ("mha.W_q.weight"), the key weight files use
 * @param shape in PyTorch's layout (a Linear weight is [out, in])
 * @param dtype the compute dtype, the dtype of {@code value}
 * @param handle the VarHandleOp (shared name = the PyTorch name, so no two variables share a slot)
 * @param value the one tensor every consumer reads (the ReadVariableOp, or its cast to the compute
 *     dtype); feeding it overrides the variable
 * @param initializer assigns the initial value; run by {@code Session.initialize()}; null in a
 *     function body, whose variables live in the owner's graph ({@link Parameters#forFunctionBody})
 * @param variable the ReadVariableOp in the variable's own dtype: what optimizers differentiate
 *     against and update, and what checkpoints save
 */
public record Parameter<T extends TFloating>(
    String name, long[] shape, Class<T> dtype, VarHandleOp handle, Operand<T> value,
    AssignVariableOp initializer, Operand<? extends TFloating> variable) {

  /** A parameter whose variable has the compute dtype ({@code variable == value}). */
  public Parameter(String name, long[] shape, Class<T> dtype, VarHandleOp handle, Operand<T> value,
      AssignVariableOp initializer) {
    this(name, shape, dtype, handle, value, initializer, value);
  }

  public long size() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /** The dtype the variable is stored in (float32 for mixed precision; else {@link #dtype}). */
  public Class<? extends TFloating> variableDtype() {
    return variable.type();
  }

  /** Whether {@code value} is a cast of the stored variable to another dtype. */
  public boolean mixed() {
    return variable != value;
  }

  /**
   * This parameter seen as its stored variable: dtype and value are the variable's own (the float32
   * master weights under mixed precision), for optimizers, checkpoints and weight loaders.
   *
   * @throws IllegalArgumentException when {@code type} is not the variable's dtype
   */
  @SuppressWarnings("unchecked")
  public <V extends TFloating> Parameter<V> asVariable(Class<V> type) {
    if (type != variableDtype()) {
      throw new IllegalArgumentException("parameter '" + name + "' is stored as "
          + variableDtype().getSimpleName() + ", not " + type.getSimpleName());
    }
    Operand<V> read = (Operand<V>) variable;
    return new Parameter<>(name, shape, type, handle, read, initializer, read);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
