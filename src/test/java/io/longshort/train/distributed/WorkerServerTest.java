package io.longshort.train.distributed;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Server;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.ServerDef;

/**
 * What TensorFlow's server offers for securing a worker, pinned so that a TF upgrade that adds
 * something shows up here: no server factory but plain "grpc" (no TLS or other credentials to turn
 * on), and the start-up warning. That the port listens on every interface, whatever the cluster
 * names, takes separate hosts: {@link NetworkPartitionTest}.
 */
class WorkerServerTest {
  @Test
  void onlyPlainGrpcHasAServerFactory() {
    // the factory is looked up before any port is bound: port 1 is never opened
    ServerDef grpc = WorkerServer.serverDef(ClusterSpec.of(List.of("127.0.0.1:1"), 0));
    for (String protocol : List.of("grpc+tls", "grpc+ssl", "grpc+loas", "grpc+verbs", "grpc+mpi")) {
      ServerDef def = grpc.toBuilder().setProtocol(protocol).build();
      TensorFlowException e = assertThrows(TensorFlowException.class, () -> new Server(def).close(), protocol);
      assertTrue(e.getMessage().startsWith("No server factory registered for the given ServerDef"),
          protocol + ": " + e.getMessage());
    }
  }

  @Test
  void theWarningSaysWhatIsOpenAndWhatToDo() {
    String w = WorkerServer.exposureWarning(ClusterSpec.of(List.of("10.0.0.1:2222", "10.0.0.2:2223"), 1));
    assertTrue(w.startsWith("warning: this TensorFlow server listens on port 2223 of every network interface (not"
        + " only 10.0.0.2), with no authentication, and runs any graph sent to it"), w);
    assertTrue(w.contains("firewall") && w.contains("docs/distributed.md"), w);
  }
}
