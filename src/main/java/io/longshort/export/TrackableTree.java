package io.longshort.export;

import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;
import org.tensorflow.types.family.TFloating;

/**
 * The object tree TF2 sees in our checkpoints and SavedModels: every parameter's PyTorch name
 * split at its dots ({@code model.transformer_0.mha.W_q.weight} is the variable {@code weight} of
 * object {@code W_q} of ... of the root), plus two lists on the root, {@code variables} and
 * {@code trainable_variables}, that hold every variable (what Keras models also carry).
 *
 * <p>Node ids are breadth-first from the root (id 0), the order TF2 itself numbers them. A
 * variable's checkpoint key is its path under the tree, {@code <path>/.ATTRIBUTES/VARIABLE_VALUE},
 * as TF2 names them; the checkpoint holds this tree as {@code _CHECKPOINTABLE_OBJECT_GRAPH} so
 * that {@code tf.train.Checkpoint} and {@code tf.saved_model.load} can match objects to values.
 * SavedModels append their own nodes (signatures, functions) after these, with the same ids for
 * the nodes here.
 */
public final class TrackableTree {
  /** One object: named children (ids) and, for variables, the parameter. */
  public static final class Node {
    final int id;
    final Map<String, Integer> children = new LinkedHashMap<>();
    final String listKind;
    Parameter<?> variable;

    Node(int id, String listKind) {
      this.id = id;
      this.listKind = listKind;
    }

    public int id() {
      return id;
    }

    public Map<String, Integer> children() {
      return children;
    }

    /** The parameter of a variable node, else null. */
    public Parameter<?> variable() {
      return variable;
    }

    /** "trackable_list_wrapper" for the lists, null for plain objects and variables. */
    public String listKind() {
      return listKind;
    }
  }

  public static final String VARIABLE_VALUE = "VARIABLE_VALUE";
  public static final String LIST_WRAPPER = "trackable_list_wrapper";

  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Integer> variableIds = new LinkedHashMap<>();

  private TrackableTree() {}

  /** The checkpoint key of a parameter: its dotted name as a path, TF2's attribute suffix. */
  public static String checkpointKey(String parameterName) {
    return parameterName.replace('.', '/') + "/.ATTRIBUTES/" + VARIABLE_VALUE;
  }

  public static <T extends TFloating> TrackableTree of(Parameters<T> params) {
    // a trie of the dotted names first, then breadth-first ids
    Trie root = new Trie();
    for (Parameter<T> p : params.list()) {
      Trie t = root;
      for (String part : p.name().split("\\.")) {
        if (t.variable != null) {
          throw new IllegalArgumentException("parameter '" + p.name() + "' is nested under another parameter");
        }
        t = t.children.computeIfAbsent(part, k -> new Trie());
      }
      if (t.variable != null || !t.children.isEmpty()) {
        throw new IllegalArgumentException("parameter '" + p.name() + "' clashes with another parameter's path");
      }
      t.variable = p;
    }
    TrackableTree tree = new TrackableTree();
    Node rootNode = tree.add(null);
    List<Map.Entry<Node, Trie>> queue = new ArrayList<>();
    queue.add(Map.entry(rootNode, root));
    for (int i = 0; i < queue.size(); i++) {
      Node n = queue.get(i).getKey();
      Trie t = queue.get(i).getValue();
      if (t.variable != null) {
        n.variable = t.variable;
        tree.variableIds.put(t.variable.name(), n.id);
        continue;
      }
      for (Map.Entry<String, Trie> c : t.children.entrySet()) {
        Node child = tree.add(null);
        n.children.put(c.getKey(), child.id);
        queue.add(Map.entry(child, c.getValue()));
      }
      if (n == rootNode) {
        // the lists come after the named children, so breadth-first paths (and keys) stay the names
        for (String list : new String[] {"variables", "trainable_variables"}) {
          Node l = tree.add(LIST_WRAPPER);
          rootNode.children.put(list, l.id);
        }
      }
    }
    // fill the lists now that every variable has its id (in parameter order)
    for (String list : new String[] {"variables", "trainable_variables"}) {
      Node l = tree.nodes.get(rootNode.children.get(list));
      int k = 0;
      for (Parameter<T> p : params.list()) {
        l.children.put(Integer.toString(k++), tree.variableIds.get(p.name()));
      }
    }
    return tree;
  }

  private Node add(String listKind) {
    Node n = new Node(nodes.size(), listKind);
    nodes.add(n);
    return n;
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** The node id of parameter {@code name}. */
  public int variableId(String name) {
    Integer id = variableIds.get(name);
    if (id == null) {
      throw new IllegalArgumentException("no variable '" + name + "' in this tree");
    }
    return id;
  }

  /** The tree as a checkpoint's {@code _CHECKPOINTABLE_OBJECT_GRAPH}. */
  public TrackableObjectGraph toTrackableObjectGraph() {
    TrackableObjectGraph.Builder g = TrackableObjectGraph.newBuilder();
    for (Node n : nodes) {
      TrackableObject.Builder o = g.addNodesBuilder();
      n.children.forEach((name, id) -> o.addChildren(
          TrackableObject.ObjectReference.newBuilder().setNodeId(id).setLocalName(name)));
      if (n.variable != null) {
        o.addAttributes(TrackableObject.SerializedTensor.newBuilder()
            .setName(VARIABLE_VALUE)
            .setFullName(n.variable.name())
            .setCheckpointKey(checkpointKey(n.variable.name())));
      }
      o.setHasCheckpointValues(com.google.protobuf.BoolValue.of(hasValues(n)));
    }
    return g.build();
  }

  private boolean hasValues(Node n) {
    if (n.variable != null) {
      return true;
    }
    for (int c : n.children.values()) {
      if (hasValues(nodes.get(c))) {
        return true;
      }
    }
    return false;
  }

  private static final class Trie {
    final Map<String, Trie> children = new LinkedHashMap<>();
    Parameter<?> variable;
  }
}
