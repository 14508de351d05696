package io.longshort.compile;

import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.GraphScope;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.IdentityN;
import org.tensorflow.types.family.TFloating;

/**
 * {@link CompiledPieces} as functions that XLA must compile ({@link XlaFunction#mustCompile}),
 * called from a plain graph: an element-wise chain (dropout's integer hash, LayerNorm, GELU) that
 * TensorFlow runs as one pass per op becomes one fused loop, and the products around it keep
 * TensorFlow's oneDNN kernels (XLA's CPU dot emitter is slower on them).
 *
 * <p>A piece with a gradient is a forward call whose output passes through an {@code IdentityN}
 * together with the piece's inputs; {@link XlaGradients} gives that op the gradient of a second
 * must-compile function, defined now and called when the gradients are built.
 */
public final class XlaPieces implements CompiledPieces {
  /** Compiles pieces of at least 2^20 elements: below that the call's overhead eats the gain. */
  public static final XlaPieces INSTANCE = new XlaPieces(1L << 20);

  private final long minElements;

  private XlaPieces(long minElements) {
    this.minElements = minElements;
  }

  /** Pieces compiled from {@code minElements} elements on (tests: 1). */
  public static XlaPieces withMinElements(long minElements) {
    if (minElements < 1) {
      throw new IllegalArgumentException("minElements must be at least 1, got " + minElements);
    }
    return new XlaPieces(minElements);
  }

  @Override
  public long minElements() {
    return minElements;
  }

  @Override
  public <T extends TFloating> Output<?> callWithGradient(GraphScope<T> s, String name,
      List<? extends Operand<?>> inputs, boolean[] readByGradient, Body<T> forward, Body<T> backward) {
    if (readByGradient.length != inputs.size()) {
      throw new IllegalArgumentException("piece '" + name + "': readByGradient has " + readByGradient.length
          + " entries for " + inputs.size() + " inputs");
    }
    Output<?> y = XlaFunction.mustCompile(s, name, inputs, (scope, args) -> forward.build(scope, args.asList()))
        .outputs().get(0);
    // the gradient's arguments: the inputs it reads, then dy (y's dtype and shape)
    List<Operand<?>> likes = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      if (readByGradient[i]) {
        likes.add(inputs.get(i));
      }
    }
    likes.add(y);
    // d inputs from (inputs, dy), the inputs it does not read as null
    XlaFunction.Definition grad = XlaFunction.define(s, name + "_grad", likes, (scope, args) -> {
      List<Output<?>> read = args.asList();
      List<Output<?>> all = new ArrayList<>();
      int next = 0;
      for (boolean r : readByGradient) {
        all.add(r ? read.get(next++) : null);
      }
      all.add(read.get(next));
      List<? extends Operand<?>> d = backward.build(scope, all);
      if (d.size() != inputs.size()) {
        throw new IllegalArgumentException("the gradient of piece '" + name + "' returns " + d.size()
            + " tensors for " + inputs.size() + " inputs");
      }
      return d;
    });
    List<Shape> inputShapes = inputs.stream().map(Operand::shape).toList();
    // compatible, not equal: an input of unknown shape (a seed fed by the caller) has no static shape
    boolean same = true;
    for (int i = 0; i < inputShapes.size(); i++) {
      same &= grad.outputShapes().get(i).isCompatibleWith(inputShapes.get(i));
    }
    if (!same) {
      throw new IllegalArgumentException("the gradient of piece '" + name + "' has shapes " + grad.outputShapes()
          + ", its inputs " + inputShapes);
    }
    // y, then the inputs the gradient goes to
    List<Operand<?>> carried = new ArrayList<>();
    carried.add(s.tf().stopGradient(y));
    carried.addAll(inputs);
    IdentityN carrier = s.tf().withName(name + "_carrier").identityN(carried);
    GraphOperation op = (GraphOperation) carrier.op();
    XlaGradients.register(op, (tf, carrierOp, dy) -> {
      List<Output<?>> args = new ArrayList<>();
      for (int i = 1; i < carrierOp.numInputs(); i++) {
        if (readByGradient[i - 1]) {
          args.add(carrierOp.input(i));
        }
      }
      args.add(dy);
      return grad.call(tf, name + "_grad", args);
    });
    return carrier.output().get(0);
  }
}
