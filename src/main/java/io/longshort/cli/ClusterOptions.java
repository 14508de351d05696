package io.longshort.cli;

import io.longshort.train.distributed.ClusterSpec;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where a process sits in a TensorFlow cluster: {@code --workers host:port,... --task i}, or
 * {@code --tf-config} to read the TF_CONFIG environment variable (TensorFlow's usual JSON).
 */
final class ClusterOptions {
  @Option(names = "--workers", split = ",", paramLabel = "HOST:PORT",
      description = "Every worker task's host:port, in task order (worker 0 is the chief).")
  List<String> workers;

  @Option(names = "--task", description = "This process's task index in --workers (default: 0, the chief).")
  Integer task;

  @Option(names = "--tf-config", description = "Read the cluster and this task from the TF_CONFIG environment"
      + " variable: {\"cluster\": {\"worker\": [...]}, \"task\": {\"type\": \"worker\", \"index\": i}}.")
  boolean tfConfig;

  /** Whether any cluster option was given. */
  boolean given() {
    return workers != null || task != null || tfConfig;
  }

  ClusterSpec spec() {
    if (tfConfig) {
      if (workers != null || task != null) {
        throw new IllegalArgumentException("give either --tf-config or --workers/--task, not both");
      }
      String json = System.getenv("TF_CONFIG");
      if (json == null || json.isBlank()) {
        throw new IllegalArgumentException("--tf-config: the TF_CONFIG environment variable is not set");
      }
      return ClusterSpec.fromTfConfig(json);
    }
    if (workers == null) {
      throw new IllegalArgumentException("--task needs --workers host:port,... (or use --tf-config)");
    }
    return ClusterSpec.of(workers, task == null ? 0 : task);
  }
}
