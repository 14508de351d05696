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
import org.tensorflow.proto.MetaGraphDef;
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
