package io.longshort.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * The message of a failed distributed step: the worker TF names, or, when TF only timed out (a hung
 * worker, a cut link), the workers whose port no longer answers. {@link NetworkPartitionTest}
 * sees the same across real hosts; this runs anywhere, on loopback ports.
 */
class WorkerFailureExceptionTest {
  @TempDir
  Path dir;

  @Test
  void aTimeoutNamesTheWorkerWhosePortDoesNotAnswer() throws IOException {
    try (ServerSocket chief = new ServerSocket(0); ServerSocket live = new ServerSocket(0)) {
      int dead;
      try (ServerSocket gone = new ServerSocket(0)) {
        dead = gone.getLocalPort();
      }
      ClusterSpec cluster = ClusterSpec.of(List.of("localhost:" + chief.getLocalPort(),
          "localhost:" + live.getLocalPort(), "localhost:" + dead), 0);
      WorkerFailureException e = WorkerFailureException.of("step 41", cluster,
          new TensorFlowException("Operation timed out."), dir.resolve("none"));
      assertEquals("distributed training stopped at step 41: worker 2 (localhost:" + dead + ") failed or cannot be"
          + " reached (TensorFlowException: Operation timed out.; the step took longer than --step-timeout; its port"
          + " does not answer now); no update was made from incomplete gradients; no checkpoint yet: a restart"
          + " starts from step 0", e.getMessage());

      // every port answers: a hung worker, which the ports cannot tell
      ClusterSpec up = ClusterSpec.of(List.of("localhost:" + chief.getLocalPort(),
          "localhost:" + live.getLocalPort()), 0);
      assertEquals("distributed training stopped at step 41: a worker failed or cannot be reached"
          + " (TensorFlowException: Operation timed out.; the step took longer than --step-timeout); no update was"
          + " made from incomplete gradients; no checkpoint yet: a restart starts from step 0",
          WorkerFailureException.of("step 41", up, new TensorFlowException("Operation timed out."),
              dir.resolve("none")).getMessage());
    }
  }

  @Test
  void theWorkerTensorFlowNamesComesFirst() {
    ClusterSpec cluster = ClusterSpec.of(List.of("host0:2222", "host1:2222"), 0);
    WorkerFailureException e = WorkerFailureException.of("step 5", cluster, new TensorFlowException(
        "UNAVAILABLE: From /job:worker/replica:0/task:1: Connection reset by peer\n"
            + "Additional GRPC error information from remote target ..."), dir.resolve("none"));
    assertEquals("distributed training stopped at step 5: worker 1 (host1:2222) failed or cannot be reached"
        + " (TensorFlowException: UNAVAILABLE: From /job:worker/replica:0/task:1: Connection reset by peer); no update"
        + " was made from incomplete gradients; no checkpoint yet: a restart starts from step 0", e.getMessage());
  }
}
