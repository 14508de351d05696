package io.longshort.export;

import io.longshort.graph.core.HostTensors;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.GraphDef;

/**
 * Run in a fresh JVM by {@link GraphDefExportTest}: imports a GraphDef, runs its Init op, feeds the
 * example's inputs and writes the logits. Args: graph.pb example.safetensors out.safetensors.
 */
public final class GraphDefReplay {
  public static void main(String[] args) throws Exception {
    GraphDef def = GraphDef.parseFrom(Files.readAllBytes(Path.of(args[0])));
    List<Tensor> fed = new ArrayList<>();
    try (Graph g = new Graph(); Safetensors example = Safetensors.open(Path.of(args[1]))) {
      g.importGraphDef(def);
      try (Session s = new Session(g)) {
        s.run("Init");
        Session.Runner runner = s.runner();
        for (String name : example.names()) {
          if (name.startsWith("input.")) {
            Tensor t = HostTensors.ints(example.info(name).shape(), example.readInts(name));
            fed.add(t);
            runner.feed(name.substring("input.".length()), t);
          }
        }
        try (var r = runner.fetch("logits").run()) {
          Tensor logits = r.get(0);
          new SafetensorsWriter().putFloats("logits", logits.shape().asArray(), HostTensors.toDoubles(logits))
              .write(Path.of(args[2]));
        }
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }
}
