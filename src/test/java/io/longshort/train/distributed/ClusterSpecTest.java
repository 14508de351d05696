package io.longshort.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ServerDef;

/** TF_CONFIG and --workers/--task become a cluster, or an error naming the field. */
class ClusterSpecTest {
  @Test
  void readsTfConfig() {
    ClusterSpec c = ClusterSpec.fromTfConfig("{\"cluster\": {\"worker\": [\"host0:2222\", \"host1:2222\"]},"
        + " \"task\": {\"type\": \"worker\", \"index\": 1}}");
    assertEquals(List.of("host0:2222", "host1:2222"), c.workers());
    assertEquals(1, c.index());
    assertEquals("host1:2222", c.address());
    assertEquals("grpc://host0:2222", c.target(0));
    ClusterDef def = c.toClusterDef();
    assertEquals("worker", def.getJob(0).getName());
    assertEquals("host1:2222", def.getJob(0).getTasksOrThrow(1));
    ServerDef server = WorkerServer.serverDef(c);
    assertEquals(1, server.getTaskIndex());
    assertEquals("grpc", server.getProtocol());
  }

  private static void rejects(String json, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterSpec.fromTfConfig(json));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void clearErrorsForBadTfConfig() {
    rejects("not json", "TF_CONFIG is not JSON");
    rejects("{\"task\": {\"type\": \"worker\", \"index\": 0}}", "TF_CONFIG.cluster must be an object");
    rejects("{\"cluster\": {\"worker\": [\"a:1\"], \"ps\": [\"b:1\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}",
        "job \"ps\"");
    rejects("{\"cluster\": {\"worker\": \"a:1\"}, \"task\": {\"type\": \"worker\", \"index\": 0}}",
        "TF_CONFIG.cluster.worker must be a list");
    rejects("{\"cluster\": {\"worker\": [\"a:1\"]}, \"task\": {\"type\": \"chief\", \"index\": 0}}",
        "TF_CONFIG.task.type");
    rejects("{\"cluster\": {\"worker\": [\"a:1\"]}, \"task\": {\"type\": \"worker\"}}", "TF_CONFIG.task.index");
    rejects("{\"cluster\": {\"worker\": [\"a:1\"]}, \"task\": {\"type\": \"worker\", \"index\": 1}}",
        "task index (1) must be in 0..0");
    rejects("{\"cluster\": {\"worker\": [\"a\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}",
        "worker 0 is \"a\"; expected host:port");
    rejects("{\"cluster\": {\"worker\": [\"a:1\", \"a:1\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}",
        "listed twice");
    rejects("{\"cluster\": {\"worker\": []}, \"task\": {\"type\": \"worker\", \"index\": 0}}", "at least one");
  }
}
