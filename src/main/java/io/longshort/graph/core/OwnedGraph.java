package io.longshort.graph.core;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;

/**
 * A graph and its session, opened and initialised on first use (exporting a graph needs none)
 * and closed with the graph: the one lifecycle of every graph we build and run (built models,
 * decoders, the attention and image-attention graphs of the parity tests).
 */
public abstract class OwnedGraph implements AutoCloseable {
  /**
   * TensorFlow's defaults less the classic constant folding that runs on each partition graph after
   * Grappler (opt_level L1 turns it on with common-subexpression elimination; L0 with CSE asked for
   * keeps CSE). That pass evaluates every initializer (stateless random or zeros of a parameter's
   * shape, each under its 10 MiB limit) and puts its value in the initializer graph as a Const, whose
   * kernel keeps the tensor for the session's life, besides the variable: ViL-Medium's 40M parameters
   * and their AdamW m and v cost 1.05 GiB at {@code initialize()} instead of 0.4 GiB, and the step's
   * first update copies each variable away from the buffer it shares with its Const
   * (bench/recompute/README.md, "Where the rest of the resident memory comes from"). Grappler's
   * constant folding, which the step's graph keeps, folds only the smallest initializers (up to 64 KiB;
   * OwnedGraphSessionTest).
   */
  static final ConfigProto SESSION_CONFIG = ConfigProto.newBuilder()
      .setGraphOptions(GraphOptions.newBuilder().setOptimizerOptions(OptimizerOptions.newBuilder()
          .setOptLevel(OptimizerOptions.Level.L0).setDoCommonSubexpressionElimination(true)))
      .build();

  protected final Graph graph = new Graph();
  private Session session;

  public Graph graph() {
    return graph;
  }

  /** The session, opened and initialised (then {@link #initialized}) on first use. */
  public synchronized Session session() {
    if (session == null) {
      session = new Session(graph, SESSION_CONFIG);
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
