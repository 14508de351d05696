package io.longshort.graph.model;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.types.family.TFloating;

/**
 * The graph a built model owns and its session, opened and initialised on first use (exporting a
 * graph needs none) and closed with it: the lifecycle every {@link BuiltModel} of ours shares.
 */
public abstract class GraphModel<T extends TFloating> implements BuiltModel<T> {
  protected final Graph graph = new Graph();
  private Session session;

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public synchronized Session session() {
    if (session == null) {
      session = new Session(graph);
      session.initialize();
    }
    return session;
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
