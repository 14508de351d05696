package io.longshort.export;

import io.longshort.io.AtomicFiles;
import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.nio.file.Path;
import org.tensorflow.Graph;
import org.tensorflow.proto.GraphDef;

/** GraphDef files: binary {@code .pb} for tools, text {@code .pbtxt} for people. */
public final class GraphDefs {
  private GraphDefs() {}

  /** Writes {@code <base>.pb} and {@code <base>.pbtxt}, each atomically; returns the .pb path. */
  public static Path write(Graph graph, Path base) throws IOException {
    GraphDef def = graph.toGraphDef();
    Path pb = base.resolveSibling(base.getFileName() + ".pb");
    AtomicFiles.write(pb, def.toByteArray());
    AtomicFiles.writeString(base.resolveSibling(base.getFileName() + ".pbtxt"),
        TextFormat.printer().printToString(def));
    return pb;
  }
}
