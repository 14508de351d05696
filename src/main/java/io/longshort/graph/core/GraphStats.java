package io.longshort.graph.core;

import java.util.Iterator;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;

/** What a graph holds: op count and its largest statically shaped tensor. */
public record GraphStats(int operations, Shape largestShape, String largestOp) {

  public static GraphStats of(Graph graph) {
    int ops = 0;
    long best = -1;
    Shape bestShape = Shape.scalar();
    String bestOp = "";
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      ops++;
      for (int i = 0; i < op.numOutputs(); i++) {
        Shape s = op.output(i).shape();
        if (s.isUnknown() || s.hasUnknownDimension()) {
          continue;
        }
        if (s.size() > best) {
          best = s.size();
          bestShape = s;
          bestOp = op.name();
        }
      }
    }
    return new GraphStats(ops, bestShape, bestOp);
  }
}
