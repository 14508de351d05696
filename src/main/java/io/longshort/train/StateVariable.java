package io.longshort.train;

import org.tensorflow.Operand;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.family.TType;

/**
 * A variable of the training state that is not a model parameter (the step counter, optimizer
 * slots, gradient accumulators): saved and restored with the parameters by checkpoints.
 */
public record StateVariable<U extends TType>(String name, long[] shape, Class<U> dtype, VarHandleOp handle,
    Operand<U> value, AssignVariableOp initializer) {}
