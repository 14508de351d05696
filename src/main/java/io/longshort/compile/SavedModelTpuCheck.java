package io.longshort.compile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;

/**
 * {@link TpuCompatibility} over any SavedModel (ours, Python's {@code tf.saved_model.save}, TF1
 * exports): per signature, the ops its outputs depend on in the graph and, through every call,
 * While, If and Case, the nodes of the functions in the library (a TF2 SavedModel's top graph is
 * little more than one call per signature).
 *
 * <p>The signature inputs' unknown batch dimension (the first) is fixed at {@code batch} before
 * the graph is imported, so shapes propagate as they would for a server that pads batches to
 * fixed sizes; every other unknown dimension is reported. Only the graph's protos are read: no
 * variables are restored and nothing runs.
 *
 * <p>Signatures that take strings (text in: tokenizing, tf.Example parsing) are not checked: string
 * ops run on the host, which is where a TPU server runs a request's preprocessing; their tensor
 * work is the id signatures' computation, checked there.
 */
public final class SavedModelTpuCheck {
  /** Signature keys TF2 uses for its own plumbing, not for serving. */
  private static final String INTERNAL_PREFIX = "__";

  private SavedModelTpuCheck() {}

  /**
   * The report of each serving signature of the SavedModel in {@code dir} (tag {@code serve}, or
   * its only MetaGraphDef), by key.
   */
  public static Map<String, TpuCompatibility.Report> check(Path dir, long batch) throws IOException {
    if (batch < 1) {
      throw new IllegalArgumentException("batch (" + batch + ") must be >= 1");
    }
    Path file = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " is not a SavedModel: no saved_model.pb");
    }
    MetaGraphDef mg = serving(SavedModel.parseFrom(Files.readAllBytes(file)), dir);
    Map<String, SignatureDef> sigs = new TreeMap<>(mg.getSignatureDefMap());
    sigs.keySet().removeIf(k -> k.startsWith(INTERNAL_PREFIX));
    sigs.values().removeIf(s -> s.getInputsMap().values().stream()
        .anyMatch(t -> t.getDtype() == org.tensorflow.proto.DataType.DT_STRING));
    Set<String> feeds = new HashSet<>();
    sigs.values().forEach(s -> s.getInputsMap().values().forEach(t -> feeds.add(opName(t))));
    Map<String, TpuCompatibility.Report> reports = new LinkedHashMap<>();
    try (Graph g = new Graph()) {
      g.importGraphDef(withBatch(mg.getGraphDef(), feeds, batch));
      for (Map.Entry<String, SignatureDef> s : sigs.entrySet()) {
        List<Operand<?>> outputs = new ArrayList<>();
        for (TensorInfo t : s.getValue().getOutputsMap().values()) {
          GraphOperation op = g.operation(opName(t));
          if (op == null) {
            throw new IOException("signature '" + s.getKey() + "' names " + t.getName() + ", which is not in the graph");
          }
          outputs.add(op.output(index(t)));
        }
        reports.put(s.getKey(), TpuCompatibility.check(g, outputs));
      }
    }
    return reports;
  }

  private static MetaGraphDef serving(SavedModel sm, Path dir) throws IOException {
    for (MetaGraphDef mg : sm.getMetaGraphsList()) {
      if (mg.getMetaInfoDef().getTagsList().contains("serve")) {
        return mg;
      }
    }
    if (sm.getMetaGraphsCount() == 1) {
      return sm.getMetaGraphs(0);
    }
    throw new IOException(dir + ": no MetaGraphDef with tag 'serve' among " + sm.getMetaGraphsCount());
  }

  /** The graph with the feeds' unknown first dimension set to {@code batch}. */
  private static GraphDef withBatch(GraphDef graph, Set<String> feeds, long batch) {
    GraphDef.Builder b = graph.toBuilder();
    for (NodeDef.Builder n : b.getNodeBuilderList()) {
      if (!feeds.contains(n.getName()) || !n.getOp().startsWith("Placeholder") || !n.containsAttr("shape")) {
        continue;
      }
      TensorShapeProto shape = n.getAttrOrThrow("shape").getShape();
      if (!shape.getUnknownRank() && shape.getDimCount() > 0 && shape.getDim(0).getSize() < 0) {
        TensorShapeProto.Builder fixed = shape.toBuilder();
        fixed.getDimBuilder(0).setSize(batch);
        n.putAttr("shape", AttrValue.newBuilder().setShape(fixed).build());
        n.removeAttr("_output_shapes");
      }
    }
    return b.build();
  }

  private static String opName(TensorInfo t) {
    String name = t.getName();
    int colon = name.lastIndexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  private static int index(TensorInfo t) {
    String name = t.getName();
    int colon = name.lastIndexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(name.substring(colon + 1));
  }
}
