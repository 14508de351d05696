package io.longshort.export;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Gives each variable's handle node in an exported GraphDef the name its {@code shared_name}
 * declares. Our graphs name a handle by its scope ({@code encoder/layer_0/.../kernel}) and share it
 * as the parameter's PyTorch path ({@code model.cls_embed}); TensorFlow's MLIR SavedModel importer
 * (the TFLite converter's front end) fetches a variable as the tensor {@code <shared_name>:0}, so
 * without this it stops at "Tensor model.cls_embed:0 ... was not found in the Graph".
 *
 * <p>Only handles whose shared name is theirs alone and names no other node are renamed (decode
 * state shares one name between two handles on purpose); every input that refers to a renamed
 * node ({@code name}, {@code name:k}, {@code ^name}) follows it. Functions in the library refer to
 * their own arguments only, so they are untouched.
 */
final class VariableNodeNames {
  private VariableNodeNames() {}

  /** Renames the handles in {@code graph}; returns old node name -> new for the callers' own references. */
  static Map<String, String> apply(GraphDef.Builder graph) {
    Set<String> nodeNames = new HashSet<>();
    Map<String, Integer> handlesPerSharedName = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      nodeNames.add(n.getName());
      String shared = sharedName(n);
      if (shared != null) {
        handlesPerSharedName.merge(shared, 1, Integer::sum);
      }
    }
    Map<String, String> renamed = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      String shared = sharedName(n);
      if (shared != null && !shared.equals(n.getName()) && handlesPerSharedName.get(shared) == 1
          && !nodeNames.contains(shared) && shared.matches("[A-Za-z0-9.][A-Za-z0-9_.\\-/]*")) {
        renamed.put(n.getName(), shared);
      }
    }
    if (renamed.isEmpty()) {
      return renamed;
    }
    for (NodeDef.Builder n : graph.getNodeBuilderList()) {
      String to = renamed.get(n.getName());
      if (to != null) {
        n.setName(to);
      }
      for (int i = 0; i < n.getInputCount(); i++) {
        n.setInput(i, renamedInput(n.getInput(i), renamed));
      }
    }
    return renamed;
  }

  /** The shared name of a variable handle node, or null for other nodes and unnamed handles. */
  private static String sharedName(NodeDef n) {
    if (!n.getOp().equals("VarHandleOp") || !n.containsAttr("shared_name")) {
      return null;
    }
    String s = n.getAttrOrThrow("shared_name").getS().toStringUtf8();
    return s.isEmpty() ? null : s;
  }

  private static String renamedInput(String input, Map<String, String> renamed) {
    boolean control = input.startsWith("^");
    String body = control ? input.substring(1) : input;
    int colon = body.lastIndexOf(':');
    String node = colon < 0 ? body : body.substring(0, colon);
    String to = renamed.get(node);
    if (to == null) {
      return input;
    }
    return (control ? "^" : "") + to + (colon < 0 ? "" : body.substring(colon));
  }
}
