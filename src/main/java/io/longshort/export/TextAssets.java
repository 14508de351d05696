package io.longshort.export;

import com.google.protobuf.Any;
import io.longshort.graph.text.VocabularyFiles;
import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedAsset;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedBareConcreteFunction;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedConcreteFunction;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedResource;
import org.tensorflow.proto.Struct.DictValue;
import org.tensorflow.proto.Struct.NoneValue;
import org.tensorflow.proto.Struct.StructuredValue;
import org.tensorflow.proto.Struct.TensorSpecProto;
import org.tensorflow.proto.Struct.TupleValue;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject.ObjectReference;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * The files of a SavedModel's {@code assets/} that the text signatures need, and how loaders find
 * them: {@code labels.txt} (the class names, one a line, class id = line number: the classes the
 * text signatures answer with) and, for a family with a vocabulary table, {@code vocabulary.txt}
 * ({@link io.longshort.data.TextTokenizer#vocabularyLines()}). The vocabulary is an asset as TF's
 * own exports register one: an AssetFileDef (in the MetaGraphDef and the TF1
 * {@value SavedModelWriter#ASSETS_COLLECTION} collection) names the string tensor the tables read
 * their file name from, and the init op ({@value SavedModelWriter#INIT_OP_SIGNATURE}) fills the
 * tables; TF Serving, TF1's loader and TF Java's feed that tensor the file's real path when they
 * run it, so the folder can move.
 */
final class TextAssets {
  private TextAssets() {}

  /** The op that runs every table's initializer; its name. */
  static String initOp(Ops tf, List<TextSignatures.Table> tables) {
    return tf.withControlDependencies(tables.stream().map(TextSignatures.Table::initializer).toList())
        .withName("init_tables").noOp().op().name();
  }

  /** Writes {@code labels.txt} (when the model has classes) and {@code vocabulary.txt} (when it has a table). */
  static void writeFiles(Path assets, SavedModelWriter.TextServing text) throws IOException {
    if (text.classNames() != null) {
      StringBuilder sb = new StringBuilder();
      for (String name : text.classNames()) {
        if (name.contains("\n") || name.contains("\r")) {
          throw new IllegalArgumentException("labels: '" + name.replace("\n", "\\n").replace("\r", "\\r")
              + "' holds a line break; " + SavedModelWriter.LABELS_ASSET + " lists one name a line");
        }
        sb.append(name).append('\n');
      }
      AtomicFiles.writeString(assets.resolve(SavedModelWriter.LABELS_ASSET), sb.toString());
    }
    if (!text.text().tables().isEmpty()) {
      VocabularyFiles.write(text.text().tokenizer(), assets.resolve(SavedModelWriter.VOCABULARY_ASSET));
    }
  }

  /**
   * TF2's view of the tables ({@code tf.saved_model.load}), as Python's own exports of a
   * {@code tf.lookup.StaticHashTable} have it: an asset object (the vocabulary file, AssetFileDef
   * 0) and per table a resource object whose {@code _create_resource} function makes the table and
   * whose {@code _initialize} function (bound to the resource and the asset) fills it; the loader
   * runs it once, and the signature functions take the table's handle as a bound input. Returns the
   * resource object's node id of each table. The functions go into {@code graphDef}'s library.
   */
  static java.util.Map<TextSignatures.Table, Integer> tableObjects(org.tensorflow.proto.GraphDef.Builder graphDef,
      SavedObjectGraph.Builder objects, List<TextSignatures.Table> tables) {
    java.util.Map<String, NodeDef> nodes = new java.util.HashMap<>();
    graphDef.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    int assetId = objects.getNodesCount();
    objects.addNodesBuilder().setAsset(SavedAsset.newBuilder().setAssetFileDefIndex(0));
    objects.getNodesBuilder(0).addChildren(ref(assetId, "text_vocabulary_file"));
    java.util.Map<TextSignatures.Table, Integer> ids = new java.util.LinkedHashMap<>();
    for (int i = 0; i < tables.size(); i++) {
      TextSignatures.Table t = tables.get(i);
      NodeDef table = nodes.get(t.handle().asOutput().op().name());
      NodeDef init = nodes.get(t.initializer().op().name());
      String create = "text_table_create_" + i;
      String fill = "text_table_initialize_" + i;
      graphDef.getLibraryBuilder().addFunction(FunctionDef.newBuilder()
          .setSignature(OpDef.newBuilder().setName(create).setIsStateful(true)
              .addOutputArg(OpDef.ArgDef.newBuilder().setName("handle").setType(DataType.DT_RESOURCE)))
          .addNodeDef(NodeDef.newBuilder().setName("table").setOp(table.getOp()).putAllAttr(table.getAttrMap()))
          .putRet("handle", "table:table_handle:0"));
      graphDef.getLibraryBuilder().addFunction(FunctionDef.newBuilder()
          .setSignature(OpDef.newBuilder().setName(fill).setIsStateful(true)
              .addInputArg(OpDef.ArgDef.newBuilder().setName("table").setType(DataType.DT_RESOURCE))
              .addInputArg(OpDef.ArgDef.newBuilder().setName("path").setType(DataType.DT_STRING))
              .addControlOutput("init"))
          .addNodeDef(NodeDef.newBuilder().setName("init").setOp(init.getOp()).addInput("table").addInput("path")
              .putAllAttr(init.getAttrMap()))
          .putControlRet("init", "init"));
      int resourceId = objects.getNodesCount();
      objects.addNodesBuilder().setResource(SavedResource.getDefaultInstance());
      objects.getNodesBuilder(0).addChildren(ref(resourceId, "text_table_" + i));
      int createId = objects.getNodesCount();
      objects.addNodesBuilder().setBareConcreteFunction(SavedBareConcreteFunction.newBuilder()
          .setConcreteFunctionName(create).setAllowedPositionalArguments(0));
      int fillId = objects.getNodesCount();
      objects.addNodesBuilder().setBareConcreteFunction(SavedBareConcreteFunction.newBuilder()
          .setConcreteFunctionName(fill).setAllowedPositionalArguments(0));
      objects.getNodesBuilder(resourceId).addChildren(ref(createId, "_create_resource"))
          .addChildren(ref(fillId, "_initialize"));
      StructuredValue noArgs = StructuredValue.newBuilder().setTupleValue(TupleValue.newBuilder()
          .addValues(StructuredValue.newBuilder().setTupleValue(TupleValue.getDefaultInstance()))
          .addValues(StructuredValue.newBuilder().setDictValue(DictValue.getDefaultInstance()))).build();
      objects.putConcreteFunctions(create, SavedConcreteFunction.newBuilder().setCanonicalizedInputSignature(noArgs)
          .setOutputSignature(StructuredValue.newBuilder().setTensorSpecValue(TensorSpecProto.newBuilder()
              .setDtype(DataType.DT_RESOURCE).setShape(org.tensorflow.proto.TensorShapeProto.getDefaultInstance())))
          .build());
      objects.putConcreteFunctions(fill, SavedConcreteFunction.newBuilder().setCanonicalizedInputSignature(noArgs)
          .setOutputSignature(StructuredValue.newBuilder().setNoneValue(NoneValue.getDefaultInstance()))
          .addBoundInputs(resourceId).addBoundInputs(assetId).build());
      ids.put(t, resourceId);
    }
    return ids;
  }

  private static ObjectReference ref(int id, String name) {
    return ObjectReference.newBuilder().setNodeId(id).setLocalName(name).build();
  }

  /** The AssetFileDefs of the tables' file-name tensors and the init op's signature. */
  static void register(MetaGraphDef.Builder meta, List<TextSignatures.Table> tables, String initOp) {
    CollectionDef.AnyList.Builder any = CollectionDef.AnyList.newBuilder();
    for (TextSignatures.Table t : tables) {
      AssetFileDef asset = AssetFileDef.newBuilder().setFilename(SavedModelWriter.VOCABULARY_ASSET)
          .setTensorInfo(TensorInfo.newBuilder().setName(t.path().asOutput().op().name() + ":0")
              .setDtype(org.tensorflow.proto.DataType.DT_STRING)
              .setTensorShape(org.tensorflow.proto.TensorShapeProto.getDefaultInstance()))
          .build();
      meta.addAssetFileDef(asset);
      any.addValue(Any.pack(asset));
    }
    meta.putCollectionDef(SavedModelWriter.ASSETS_COLLECTION, CollectionDef.newBuilder().setAnyList(any).build());
    // TF2's form of the init op (TF1's loader reads it too): a signature whose one output names the op
    meta.putSignatureDef(SavedModelWriter.INIT_OP_SIGNATURE, SignatureDef.newBuilder()
        .putOutputs(SavedModelWriter.INIT_OP_SIGNATURE, TensorInfo.newBuilder().setName(initOp).build()).build());
  }
}
