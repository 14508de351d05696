package io.longshort.graph;

import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.family.TFloating;

/**
 * One trainable resource variable.
 *
 * @param name the PyTorch state_dict name ("mha.W_q.weight"), the key weight files use
 * @param shape in PyTorch's layout (a Linear weight is [out, in])
 * @param handle the VarHandleOp (shared name = the PyTorch name, so no two variables share a slot)
 * @param value the one ReadVariableOp every consumer reads; feeding it overrides the variable
 * @param initializer assigns the initial value; run by {@code Session.initialize()}; null in a
 *     function body, whose variables live in the owner's graph ({@link Parameters#forFunctionBody})
 */
public record Parameter<T extends TFloating>(
    String name, long[] shape, Class<T> dtype, VarHandleOp handle, Operand<T> value,
    AssignVariableOp initializer) {

  public long size() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
