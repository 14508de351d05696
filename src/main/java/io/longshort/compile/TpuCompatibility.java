package io.longshort.compile;

import io.longshort.graph.core.InputChecks;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NodeDef;

/**
 * Checks, before any TPU is at hand, that the computation of a graph could run as one XLA
 * computation on an accelerator: it lists every op that has no XLA kernel for its dtypes
 * ({@link XlaKernels}: exact for this TensorFlow build, with the host's compilation device
 * standing in for the TPU's when the build has no TPU support), every op whose outputs have
 * unknown dimensions (XLA on TPU wants static shapes), and every op that can only run on the host
 * (strings, printing, summaries, Python callbacks, file and checkpoint I/O, DT_STRING or
 * DT_VARIANT tensors).
 *
 * <p>Only the computation is checked: ops in the init scope (initialisers, variable handles) run
 * once on the host and are skipped; placeholders are feeds, checked for static shapes only. The
 * bodies of function calls (e.g. {@link XlaFunction}) and of While / If / Case ops are checked
 * for kernels and host-only ops, and for dynamic shapes where their nodes record them
 * ({@code _output_shapes}, as Python TF writes; an unknown leading dimension there is taken for
 * the batch, which the traced function left open); a call's own outputs are not checked for
 * shapes, its function's nodes are. {@link SavedModelTpuCheck} runs this over a SavedModel.
 *
 * <pre>{@code
 * TpuCompatibility.Report r = TpuCompatibility.check(graph, List.of(y));
 * if (!r.ok()) System.out.println(r);
 * }</pre>
 */
public final class TpuCompatibility {
  private TpuCompatibility() {}

  /** What is wrong with an op. */
  public enum Kind {
    /** No XLA kernel for this op type, or none for its dtypes. */
    NO_XLA_KERNEL,
    /** An output with an unknown rank or dimension. */
    DYNAMIC_SHAPE,
    /** Runs only on the host: strings, printing, summaries, py funcs, file I/O, variants. */
    HOST_ONLY
  }

  /**
   * One finding.
   *
   * @param op the op's name (for an op in a function body: the call's name, "/", the node's name)
   * @param type the op type
   * @param scope the name scope the op was built in, i.e. the layer ("" at the root)
   * @param detail what exactly is wrong
   */
  public record Issue(Kind kind, String op, String type, String scope, String detail) {
    @Override
    public String toString() {
      return kind + " " + op + " (" + type + ")"
          + (scope.isEmpty() ? "" : " in " + scope) + ": " + detail;
    }
  }

  /**
   * The result of a check.
   *
   * @param xlaDevice the compilation device whose kernels were checked, e.g. "XLA_CPU_JIT"
   * @param opsChecked how many ops (graph ops and function-body nodes) were looked at
   */
  public record Report(String xlaDevice, int opsChecked, List<Issue> issues) {
    public Report {
      issues = List.copyOf(issues);
    }

    public boolean ok() {
      return issues.isEmpty();
    }

    public List<Issue> issues(Kind kind) {
      return issues.stream().filter(i -> i.kind() == kind).toList();
    }

    /** Names of the ops with an issue of this kind. */
    public Set<String> opNames(Kind kind) {
      return issues(kind).stream().map(Issue::op)
          .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      s.append(opsChecked).append(" ops checked against ").append(xlaDevice).append(": ");
      if (ok()) {
        return s.append("no issues").toString();
      }
      s.append(issues.size()).append(" issue(s)");
      for (Issue i : issues) {
        s.append("\n  ").append(i);
      }
      return s.toString();
    }
  }

  /** Op types that never run on an accelerator, whatever their dtypes. */
  static final Set<String> HOST_ONLY_TYPES = Set.of(
      "Print", "PrintV2", "StringFormat", "AsString", "Timestamp",
      "PyFunc", "PyFuncStateless", "EagerPyFunc",
      "ReadFile", "WriteFile", "MatchingFiles",
      "Save", "SaveV2", "SaveSlices", "Restore", "RestoreV2", "RestoreSlice",
      "MergeV2Checkpoints", "ShardedFilename", "ShardedFilespec",
      "MakeIterator", "OneShotIterator", "Iterator", "IteratorV2", "AnonymousIterator",
      "AnonymousIteratorV2", "AnonymousIteratorV3", "IteratorGetNext", "IteratorGetNextSync",
      "IteratorGetNextAsOptional", "DecodeProtoV2", "EncodeProto");

  private static final Set<String> FEEDS = Set.of("Placeholder", "PlaceholderV2");
  private static final Set<String> CALLS = Set.of("PartitionedCall", "StatefulPartitionedCall");
  /** The attributes through which ops call functions (calls; While, If, Case and their stateless kinds). */
  private static final List<String> FUNCTION_ATTRS = List.of("f", "body", "cond", "then_branch", "else_branch",
      "branches");

  /** Checks every op of the graph's computation (all ops outside the init scope). */
  public static Report check(Graph graph) {
    List<GraphOperation> ops = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      ops.add(it.next());
    }
    return check(graph, ops);
  }

  /** Checks the ops that {@code outputs} depend on (themselves included), outside the init scope. */
  public static Report check(Graph graph, Collection<? extends Operand<?>> outputs) {
    Set<GraphOperation> roots = new LinkedHashSet<>();
    for (Operand<?> o : outputs) {
      if (o.env() != graph) {
        throw new IllegalArgumentException("output " + o + " is not in this graph");
      }
      roots.add((GraphOperation) o.op());
    }
    Set<GraphOperation> ops = new LinkedHashSet<>(roots);
    ops.addAll(graph.subgraphToOps(roots));
    return check(graph, new ArrayList<>(ops));
  }

  private static Report check(Graph graph, List<GraphOperation> ops) {
    XlaKernels kernels = XlaKernels.load();
    List<Issue> issues = new ArrayList<>();
    int checked = 0;
    Map<String, FunctionDef> library = null;
    for (GraphOperation op : ops) {
      if (graph.isInitializer(op) || InputChecks.isCheck(op.name())) {
        // init ops run once on the host; the input checks (Assert and its message) run on the
        // host before the computation, as the feeds they check arrive
        continue;
      }
      checked++;
      String type = op.type();
      String name = op.name();
      String scope = scopeOf(name);
      String host = hostOnly(type, dtypesOf(op));
      if (host != null) {
        issues.add(new Issue(Kind.HOST_ONLY, name, type, scope, host));
      }
      if (!FEEDS.contains(type) && !type.equals("VarHandleOp")) {
        String why = kernels.unsupported(type, attrs(op));
        if (why != null && !CALLS.contains(type)) {
          issues.add(new Issue(Kind.NO_XLA_KERNEL, name, type, scope, why));
        }
      }
      String dyn = CALLS.contains(type) ? null : dynamicOutputs(op);
      if (dyn != null) {
        issues.add(new Issue(Kind.DYNAMIC_SHAPE, name, type, scope, dyn));
      }
      List<String> called = calledFunctions(attrs(op));
      if (!called.isEmpty() && library == null) {
        library = new HashMap<>();
        for (FunctionDef fd : graph.toGraphDef().getLibrary().getFunctionList()) {
          library.put(fd.getSignature().getName(), fd);
        }
      }
      for (String fn : called) {
        checked += checkFunction(fn, name, library, kernels, issues);
      }
    }
    return new Report(kernels.device(), checked, issues);
  }

  /** Checks the nodes of function {@code fn} (and of the functions it calls); returns their count. */
  private static int checkFunction(String fn, String callName, Map<String, FunctionDef> library,
      XlaKernels kernels, List<Issue> issues) {
    int checked = 0;
    Deque<String[]> todo = new ArrayDeque<>(); // {function, prefix}
    Set<String> seen = new HashSet<>();
    todo.add(new String[] {fn, callName});
    while (!todo.isEmpty()) {
      String[] next = todo.poll();
      if (!seen.add(next[0])) {
        continue;
      }
      FunctionDef def = library.get(next[0]);
      if (def == null) {
        issues.add(new Issue(Kind.NO_XLA_KERNEL, next[1], "?", scopeOf(next[1]),
            "function " + next[0] + " is not in the graph's library"));
        continue;
      }
      for (NodeDef node : def.getNodeDefList()) {
        checked++;
        String name = next[1] + "/" + node.getName();
        String type = node.getOp();
        // the body is built under the same name scopes as the outer graph
        String scope = scopeOf(node.getName());
        Map<String, AttrValue> attrs = node.getAttrMap();
        Set<DataType> dtypes = new HashSet<>();
        for (AttrValue v : attrs.values()) {
          if (v.getValueCase() == AttrValue.ValueCase.TYPE) {
            dtypes.add(v.getType());
          } else if (v.hasList()) {
            dtypes.addAll(v.getList().getTypeList());
          }
        }
        String host = hostOnly(type, dtypes);
        if (host != null) {
          issues.add(new Issue(Kind.HOST_ONLY, name, type, scope, host + " (in function " + next[0] + ")"));
        }
        for (String inner : calledFunctions(attrs::get)) {
          todo.add(new String[] {inner, name});
        }
        if (CALLS.contains(type)) {
          continue;
        }
        if (!FEEDS.contains(type) && !type.equals("VarHandleOp")) {
          String why = kernels.unsupported(type, attrs::get);
          if (why != null) {
            issues.add(new Issue(Kind.NO_XLA_KERNEL, name, type, scope, why + " (in function " + next[0] + ")"));
          }
        }
        String dyn = recordedDynamicShapes(attrs.get("_output_shapes"));
        if (dyn != null) {
          issues.add(new Issue(Kind.DYNAMIC_SHAPE, name, type, scope, dyn + " (in function " + next[0] + ")"));
        }
      }
    }
    return checked;
  }

  /** The functions an op calls through its function-valued attributes. */
  private static List<String> calledFunctions(Function<String, AttrValue> attrs) {
    List<String> out = new ArrayList<>();
    for (String a : FUNCTION_ATTRS) {
      AttrValue v = attrs.apply(a);
      if (v == null) {
        continue;
      }
      if (v.hasFunc()) {
        out.add(v.getFunc().getName());
      } else if (v.hasList()) {
        v.getList().getFuncList().forEach(f -> out.add(f.getName()));
      }
    }
    return out;
  }

  /**
   * Describes the unknown dimensions of a function node's recorded output shapes, ignoring an
   * unknown leading (batch) dimension; null when there are none or nothing is recorded.
   */
  private static String recordedDynamicShapes(AttrValue shapes) {
    if (shapes == null || !shapes.hasList()) {
      return null;
    }
    List<String> dynamic = new ArrayList<>();
    var list = shapes.getList().getShapeList();
    for (int i = 0; i < list.size(); i++) {
      var s = list.get(i);
      boolean open = s.getUnknownRank();
      for (int d = 1; d < s.getDimCount(); d++) {
        open |= s.getDim(d).getSize() < 0;
      }
      if (open) {
        StringBuilder b = new StringBuilder("(");
        for (int d = 0; d < s.getDimCount(); d++) {
          b.append(d > 0 ? ", " : "").append(s.getDim(d).getSize());
        }
        dynamic.add("output " + i + " has shape " + (s.getUnknownRank() ? "<unknown rank>" : b.append(")")));
      }
    }
    return dynamic.isEmpty() ? null : String.join("; ", dynamic) + " (recorded when the function was traced)";
  }

  static String hostOnly(String type, Set<DataType> dtypes) {
    if (HOST_ONLY_TYPES.contains(type)) {
      return type + " runs on the host only";
    }
    if (type.contains("Summary")) {
      return "summary ops run on the host only";
    }
    if (type.endsWith("Dataset") || type.startsWith("Dataset")) {
      return "tf.data ops run on the host only";
    }
    if (dtypes.contains(DataType.DT_STRING)) {
      return "handles DT_STRING tensors, which live on the host";
    }
    if (dtypes.contains(DataType.DT_VARIANT)) {
      return "handles DT_VARIANT tensors, which live on the host";
    }
    return null;
  }

  private static Set<DataType> dtypesOf(GraphOperation op) {
    Set<DataType> types = new HashSet<>();
    for (int i = 0; i < op.numOutputs(); i++) {
      types.add(op.output(i).dataType());
    }
    for (int i = 0; i < op.numInputs(); i++) {
      types.add(op.input(i).dataType());
    }
    return types;
  }

  /** Describes the outputs with unknown dimensions, or null when all are static. */
  private static String dynamicOutputs(GraphOperation op) {
    List<String> dynamic = new ArrayList<>();
    for (int i = 0; i < op.numOutputs(); i++) {
      Shape s = op.output(i).shape();
      if (s.isUnknown() || s.hasUnknownDimension()) {
        dynamic.add("output " + i + " has shape " + (s.isUnknown() ? "<unknown rank>" : s));
      }
    }
    if (dynamic.isEmpty()) {
      return null;
    }
    List<String> dynamicInputs = new ArrayList<>();
    for (int i = 0; i < op.numInputs(); i++) {
      Output<?> in = op.input(i);
      Shape s = in.shape();
      if (s.isUnknown() || s.hasUnknownDimension()) {
        dynamicInputs.add(in.op().name() + ":" + in.index());
      }
    }
    String cause;
    if (FEEDS.contains(op.type())) {
      cause = "a feed of unknown size";
    } else if (dynamicInputs.isEmpty()) {
      cause = "all inputs are static: this op makes the size depend on the data";
    } else {
      cause = "unknown size comes from " + String.join(", ", dynamicInputs);
    }
    return String.join("; ", dynamic) + " (" + cause + ")";
  }

  private static Function<String, AttrValue> attrs(GraphOperation op) {
    return name -> {
      try {
        return op.attributes().getAttrValueProto(name);
      } catch (RuntimeException absent) {
        return null;
      }
    };
  }

  private static String scopeOf(String opName) {
    int slash = opName.lastIndexOf('/');
    return slash < 0 ? "" : opName.substring(0, slash);
  }
}
