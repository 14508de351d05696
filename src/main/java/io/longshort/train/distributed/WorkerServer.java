package io.longshort.train.distributed;

import org.tensorflow.Server;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.ServerDef;

/**
 * One task's TensorFlow gRPC server ({@code org.tensorflow.Server}): it runs whatever part of the
 * chief's graph is placed on {@code /job:worker/task:<index>}, keeps the variables placed there,
 * and (on the chief's task) is the master that the training session talks to.
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
