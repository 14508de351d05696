package io.longshort.reference;

import io.longshort.graph.core.HostTensors;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;

/** What graph tests read back: fetched tensors as doubles, and a graph's ops counted by type. */
public final class GraphReadback {
  private GraphReadback() {}

  /** Runs {@code runner} (fed already) with {@code fetches} and returns each, flattened, in order. */
  public static List<double[]> fetchDoubles(Session.Runner runner, List<? extends Operand<?>> fetches) {
    fetches.forEach(runner::fetch);
    try (var out = runner.run()) {
      List<double[]> values = new ArrayList<>();
      for (int i = 0; i < fetches.size(); i++) {
        values.add(HostTensors.toDoubles(out.get(i)));
      }
      return values;
    }
  }

  /** How many ops of {@code type} (e.g. StatefulPartitionedCall) the graph has. */
  public static long countOps(Graph g, String type) {
    long n = 0;
    for (var it = g.operations(); it.hasNext(); ) {
      n += it.next().type().equals(type) ? 1 : 0;
    }
    return n;
  }
}
