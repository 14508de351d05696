package io.longshort.export;

import io.longshort.compile.XlaFunction;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.SignatureChecks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.family.TFloating;

/**
 * The XLA form of a serving signature, as a TF2 {@code tf.function(jit_compile=True)} export
 * has it: the signature's computation (its inputs and the variables to its outputs) becomes a
 * function whose FunctionDef carries {@code _XlaMustCompile = true}, called from the top graph by
 * a {@code StatefulPartitionedCall} that carries it too. TF Serving and TF1 loaders run the call
 * (the signature def names its outputs), TF2's {@code tf.saved_model.load} runs the signature's
 * concrete function, whose body is that call; both compile the function with XLA on first use
 * (per input shape) or fail naming the op that cannot compile. The plain ops stay in the graph,
 * unused by the signatures.
 *
 * <p>Names: the call is {@code <key>_xla/call}, its outputs {@code <key>_xla/<output>}
 * (EnsureShape restores the static shapes the call's shape function does not know).
 */
public final class CompiledSignatures {
  /** The scope of signature {@code key}'s call and outputs. */
  public static String scope(String key) {
    return key + "_xla";
  }

  private CompiledSignatures() {}

  /**
   * The compiled outputs of a signature (same keys and order as {@code outputs}), adding the
   * function and its call to {@code graph} once.
   *
   * @param inputs the signature's inputs, sorted by name (the function's first arguments)
   * @param params every variable, in parameter order (the function's other arguments)
   */
  public static synchronized <T extends TFloating> Map<String, Operand<?>> wrap(Graph graph, String key,
      Map<String, Operand<?>> inputs, List<Parameter<T>> params, Map<String, Operand<?>> outputs, int vocabSize) {
    String scope = scope(key);
    if (graph.operation(scope + "/call") == null) {
      FunctionDef plain = SavedModelWriter.function(graph, scope, inputs, params, outputs);
      FunctionDef fn = plain.toBuilder()
          .putAttr(XlaFunction.MUST_COMPILE_ATTR, AttrValue.newBuilder().setB(true).build()).build();
      FunctionCalls.define(graph, fn);
      Ops tf = Ops.create(graph).withSubScope(scope);
      List<Output<?>> args = new ArrayList<>();
      inputs.values().forEach(in -> args.add(in.asOutput()));
      params.forEach(p -> args.add(p.handle().asOutput()));
      GraphOperation call = FunctionCalls.call(tf, "call", fn, args, true);
      Map<String, Operand<?>> shaped = new LinkedHashMap<>();
      int j = 0;
      for (Map.Entry<String, Operand<?>> out : outputs.entrySet()) {
        shaped.put(out.getKey(), restoreShape(tf.withName(out.getKey() + "_shaped"), call.output(j++),
            out.getValue().shape()));
      }
      // <scope>/<output>: the call's outputs once the inputs' checks passed (outside the function)
      SignatureChecks.gated(tf, inputs, shaped, vocabSize);
    }
    Map<String, Operand<?>> compiled = new LinkedHashMap<>();
    for (String name : outputs.keySet()) {
      compiled.put(name, graph.operation(scope + "/" + name).output(0));
    }
    return compiled;
  }

  /**
   * How signature {@code key} of a SavedModel's graph uses XLA, in words: "the whole signature"
   * when every output comes (through Identity/EnsureShape) from a must-compile call, else the
   * must-compile functions reached inside other ops (e.g. a While loop's step), else "not compiled".
   */
  public static String describe(MetaGraphDef meta, String key) {
    Map<String, NodeDef> nodes = new HashMap<>();
    meta.getGraphDef().getNodeList().forEach(n -> nodes.put(n.getName(), n));
    Map<String, FunctionDef> library = new HashMap<>();
    meta.getGraphDef().getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
    boolean whole = true;
    Set<String> direct = new TreeSet<>();
    for (TensorInfo t : meta.getSignatureDefOrThrow(key).getOutputsMap().values()) {
      NodeDef n = nodes.get(t.getName().split(":")[0]);
      while (n != null && (n.getOp().equals("Identity") || n.getOp().equals("EnsureShape")) && n.getInputCount() > 0) {
        n = nodes.get(n.getInput(0).split(":")[0]);
      }
      if (n != null && isMustCompile(n)) {
        direct.add(n.getAttrOrThrow("f").getFunc().getName());
      } else {
        whole = false;
      }
    }
    if (whole && !direct.isEmpty()) {
      return "compiled by XLA as a whole: " + String.join(", ", direct);
    }
    // must-compile calls anywhere the outputs depend on, functions included
    Map<String, String> inside = new TreeMap<>();
    Set<String> seenNodes = new HashSet<>();
    Set<String> seenFns = new HashSet<>();
    List<String> todo = new ArrayList<>();
    meta.getSignatureDefOrThrow(key).getOutputsMap().values().forEach(t -> todo.add(t.getName().split(":")[0]));
    while (!todo.isEmpty()) {
      NodeDef n = nodes.get(todo.remove(todo.size() - 1));
      if (n == null || !seenNodes.add(n.getName())) {
        continue;
      }
      collect(n, n.getOp() + " " + n.getName(), library, seenFns, inside);
      n.getInputList().forEach(i -> todo.add(i.replaceFirst("^\\^", "").split(":")[0]));
    }
    if (inside.isEmpty()) {
      return "not compiled (TensorFlow's kernels)";
    }
    List<String> parts = new ArrayList<>();
    inside.forEach((fn, where) -> parts.add(fn + " (in " + where + ")"));
    return "partly compiled by XLA: " + String.join(", ", parts) + "; the rest runs on TensorFlow's kernels";
  }

  private static void collect(NodeDef n, String where, Map<String, FunctionDef> library, Set<String> seenFns,
      Map<String, String> inside) {
    if (isMustCompile(n)) {
      inside.put(n.getAttrOrThrow("f").getFunc().getName(), where);
      return;
    }
    for (AttrValue v : n.getAttrMap().values()) {
      List<String> fns = new ArrayList<>();
      if (v.hasFunc()) {
        fns.add(v.getFunc().getName());
      } else if (v.hasList()) {
        v.getList().getFuncList().forEach(f -> fns.add(f.getName()));
      }
      for (String fn : fns) {
        if (library.containsKey(fn) && seenFns.add(fn)) {
          for (NodeDef inner : library.get(fn).getNodeDefList()) {
            collect(inner, where, library, seenFns, inside);
          }
        }
      }
    }
  }

  private static boolean isMustCompile(NodeDef n) {
    AttrValue a = n.getAttrMap().get(XlaFunction.MUST_COMPILE_ATTR);
    return a != null && a.getB() && n.containsAttr("f");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Operand<?> restoreShape(Ops tf, Output out, Shape shape) {
    return shape.isUnknown() ? tf.identity(out) : tf.ensureShape(out, shape);
  }
}
