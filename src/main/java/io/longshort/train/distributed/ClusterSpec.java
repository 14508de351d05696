package io.longshort.train.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import io.longshort.spec.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.JobDef;

/**
 * The workers of a data-parallel job and which one this process is, as TensorFlow's
 * {@code TF_CONFIG} says it:
 * {@code {"cluster": {"worker": ["host0:port", "host1:port"]}, "task": {"type": "worker", "index": 0}}}.
 * Worker 0 is the chief (TensorFlow's convention when the cluster names no "chief" job): its
 * process also runs the training loop that drives every worker, and writes checkpoints and logs.
 *
 * @param workers host:port of every worker task, in task order
 * @param index this process's task index
 */
public record ClusterSpec(List<String> workers, int index) {
  /** The one job name: every task runs a model replica. */
  public static final String JOB = "worker";

  public ClusterSpec {
    if (workers == null || workers.isEmpty()) {
      throw new IllegalArgumentException("cluster: the \"worker\" job needs at least one host:port");
    }
    workers = List.copyOf(workers);
    for (int i = 0; i < workers.size(); i++) {
      checkAddress(workers.get(i), "worker " + i);
      if (workers.indexOf(workers.get(i)) != i) {
        throw new IllegalArgumentException("cluster: worker " + i + " (" + workers.get(i)
            + ") is listed twice; every task needs its own host:port");
      }
    }
    if (index < 0 || index >= workers.size()) {
      throw new IllegalArgumentException("task index (" + index + ") must be in 0.." + (workers.size() - 1)
          + " for a cluster of " + workers.size() + " workers");
    }
  }

  /** A cluster from the {@code --workers host:port,...} and {@code --task} flags. */
  public static ClusterSpec of(List<String> workers, int index) {
    return new ClusterSpec(workers, index);
  }

  /** Parses a {@code TF_CONFIG} JSON value; anything it cannot use is an error naming the field. */
  public static ClusterSpec fromTfConfig(String json) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("TF_CONFIG is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("TF_CONFIG must be a JSON object with \"cluster\" and \"task\"");
    }
    JsonNode cluster = root.get("cluster");
    if (cluster == null || !cluster.isObject()) {
      throw new IllegalArgumentException("TF_CONFIG.cluster must be an object such as"
          + " {\"worker\": [\"host:port\", ...]}");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = cluster.fields(); it.hasNext(); ) {
      String job = it.next().getKey();
      if (!job.equals(JOB)) {
        throw new IllegalArgumentException("TF_CONFIG.cluster has job \"" + job + "\"; only \"" + JOB
            + "\" is supported (synchronous in-graph replication, worker 0 is the chief; no ps or chief job)");
      }
    }
    JsonNode hosts = cluster.get(JOB);
    if (hosts == null || !hosts.isArray()) {
      throw new IllegalArgumentException("TF_CONFIG.cluster.worker must be a list of \"host:port\" strings");
    }
    List<String> workers = new ArrayList<>();
    for (JsonNode h : hosts) {
      if (!h.isTextual()) {
        throw new IllegalArgumentException("TF_CONFIG.cluster.worker holds " + h + "; expected \"host:port\" strings");
      }
      workers.add(h.asText());
    }
    JsonNode task = root.get("task");
    if (task == null || !task.isObject()) {
      throw new IllegalArgumentException("TF_CONFIG.task must be an object such as {\"type\": \"worker\", \"index\": 0}");
    }
    JsonNode type = task.get("type");
    if (type == null || !JOB.equals(type.asText())) {
      throw new IllegalArgumentException("TF_CONFIG.task.type is " + type + "; only \"" + JOB + "\" is supported");
    }
    JsonNode index = task.get("index");
    if (index == null || !index.canConvertToInt()) {
      throw new IllegalArgumentException("TF_CONFIG.task.index is " + index + "; expected an integer");
    }
    return new ClusterSpec(workers, index.asInt());
  }

  public int size() {
    return workers.size();
  }

  public boolean isChief() {
    return index == 0;
  }

  /** This task's host:port. */
  public String address() {
    return workers.get(index);
  }

  /** The session target that reaches task {@code i}'s server. */
  public String target(int i) {
    return "grpc://" + workers.get(i);
  }

  /** The cluster as TensorFlow's proto: one job "worker", task i at workers[i]. */
  public ClusterDef toClusterDef() {
    JobDef.Builder job = JobDef.newBuilder().setName(JOB);
    for (int i = 0; i < workers.size(); i++) {
      job.putTasks(i, workers.get(i));
    }
    return ClusterDef.newBuilder().addJob(job).build();
  }

  private static void checkAddress(String address, String what) {
    int colon = address == null ? -1 : address.lastIndexOf(':');
    boolean ok = colon > 0 && colon < address.length() - 1;
    if (ok) {
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        ok = port > 0 && port < 65536;
      } catch (NumberFormatException e) {
        ok = false;
      }
    }
    if (!ok) {
      throw new IllegalArgumentException("cluster: " + what + " is \"" + address
          + "\"; expected host:port with a port in 1..65535");
    }
  }
}
