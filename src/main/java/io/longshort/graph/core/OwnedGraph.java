package io.longshort.graph.core;

import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * A graph and its session, opened and initialised on first use (exporting a graph needs none)
 * and closed with the graph: the one lifecycle of every graph we build and run (built models,
 * decoders, the attention and image-attention graphs of the parity tests).
 */
public abstract class OwnedGraph implements AutoCloseable {
  protected final Graph graph = new Graph();
  private Session session;

  public Graph graph() {
    return graph;
  }

  /** The session, opened and initialised (then {@link #initialized}) on first use. */
  public synchronized Session session() {
    if (session == null) {
      session = new Session(graph);
      session.initialize();
      initialized(session);
    }
    return session;
  }

  /** Runs once, after the variables are initialised (e.g. a decoder's zero state); nothing by default. */
  protected void initialized(Session session) {}

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
