package io.longshort.export;

import io.longshort.compile.XlaFunction;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.OpDef;

/**
 * A call, from the top graph, of a function of its library: a {@code StatefulPartitionedCall}
 * (variables are resource arguments). How the XLA signatures call their compiled function and the
 * text signatures call the id signature's computation on the ids they encode.
 */
final class FunctionCalls {
  private FunctionCalls() {}

  /** Adds {@code fn} to the graph's library unless a function of its name is there. */
  static void define(Graph graph, FunctionDef fn) {
    graph.importGraphDef(GraphDef.newBuilder().setLibrary(FunctionDefLibrary.newBuilder().addFunction(fn)).build());
  }

  /**
   * The call op {@code name} in {@code tf}'s scope of {@code fn} (already in the library) on
   * {@code args}, in the function's argument order; {@code mustCompile} marks it for XLA.
   */
  static GraphOperation call(Ops tf, String name, FunctionDef fn, List<Output<?>> args, boolean mustCompile) {
    OperationBuilder b = tf.scope().opBuilder(XlaFunction.CALL_OP, name);
    b.addInputList(args.toArray(new Output<?>[0]));
    b.setAttr("Tin", fn.getSignature().getInputArgList().stream().map(OpDef.ArgDef::getType).toArray(DataType[]::new));
    b.setAttr("Tout", fn.getSignature().getOutputArgList().stream().map(OpDef.ArgDef::getType).toArray(DataType[]::new));
    b.setAttr("f", AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(fn.getSignature().getName()))
        .build());
    if (mustCompile) {
      b.setAttr(XlaFunction.MUST_COMPILE_ATTR, true);
    }
    return (GraphOperation) b.build();
  }
}
