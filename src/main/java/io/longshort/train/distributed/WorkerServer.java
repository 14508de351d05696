package io.longshort.train.distributed;

import org.tensorflow.Server;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.ServerDef;

/**
 * One task's TensorFlow gRPC server ({@code org.tensorflow.Server}): it runs whatever part of the
 * chief's graph is placed on {@code /job:worker/task:<index>}, keeps the variables placed there,
 * and (on the chief's task) is the master that the training session talks to.
 *
 * <p>Its port is open to everyone who can reach the machine: TensorFlow's gRPC server (2.18, as
 * every version before it) listens on {@code 0.0.0.0:<port>} whatever host the cluster names
 * ({@code GrpcServer::Init} hard-codes the wildcard; {@code ServerDef} has a port field but no
 * address), and it takes {@code InsecureServerCredentials} (only protocol "grpc" has a server
 * factory; the credentials hook is a C++ virtual that no shipped build overrides). A graph is a
 * program: whoever reaches the port can run ops that read and write files with this process's
 * rights. So the cluster's network must be closed to other hosts by a firewall; see
 * {@link #exposureWarning}.
 */
public final class WorkerServer {
  private WorkerServer() {}

  /** The server definition of {@code cluster}'s own task. */
  public static ServerDef serverDef(ClusterSpec cluster) {
    return ServerDef.newBuilder()
        .setCluster(cluster.toClusterDef())
        .setJobName(ClusterSpec.JOB)
        .setTaskIndex(cluster.index())
        .setProtocol("grpc")
        .setDefaultSessionConfig(ConfigProto.newBuilder().setAllowSoftPlacement(false))
        .build();
  }

  /** The start-up warning every process that runs a server prints: what is open, and to whom. */
  public static String exposureWarning(ClusterSpec cluster) {
    String address = cluster.address();
    String port = address.substring(address.lastIndexOf(':') + 1);
    return "warning: this TensorFlow server listens on port " + port + " of every network interface (not only "
        + address.substring(0, address.lastIndexOf(':')) + "), with no authentication, and runs any graph sent to"
        + " it with this process's rights (it can read and write this machine's files): let only the cluster's hosts"
        + " reach it with a firewall (example in docs/distributed.md, \"Close the cluster's network first\"); TensorFlow 2.18"
        + " can neither bind it to one address nor require credentials";
  }

  /**
   * Starts this task's server. TensorFlow cannot shut a gRPC server down cleanly, so it lives as
   * long as the process: a worker process is stopped by ending it.
   *
   * @throws IllegalStateException when the port is taken or the definition is refused
   */
  public static Server start(ClusterSpec cluster) {
    try {
      Server server = new Server(serverDef(cluster));
      server.start();
      return server;
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot start the TensorFlow server of worker " + cluster.index()
          + " on " + cluster.address() + ": " + e.getMessage(), e);
    }
  }
}
