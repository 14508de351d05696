package io.longshort.train.distributed;

import io.longshort.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * The cluster failed a step: a worker died, cannot be reached, or took longer than the step
 * timeout. The run stops here; the failed step made no update (the update needs every worker's
 * gradients), and restarting the workers and the chief resumes from the newest checkpoint.
 */
public final class WorkerFailureException extends IllegalStateException {
  private static final Pattern TASK = Pattern.compile("/job:worker/replica:0/task:(\\d+)");

  private WorkerFailureException(String message, Throwable cause) {
    super(message, cause);
  }

  static WorkerFailureException of(String what, ClusterSpec cluster, TensorFlowException e, Path checkpoints) {
    String tf = firstLine(e.getMessage());
    Matcher m = TASK.matcher(e.getMessage() == null ? "" : e.getMessage());
    String who = "a worker";
    if (m.find()) {
      int task = Integer.parseInt(m.group(1));
      who = "worker " + task + (task < cluster.size() ? " (" + cluster.workers().get(task) + ")" : "");
    }
    String resume;
    try {
      Optional<Path> latest = Checkpoints.newestIntact(checkpoints, note -> {});
      resume = latest.map(p -> "restart the workers and the chief to resume from " + p.getFileName())
          .orElse("no checkpoint yet: a restart starts from step 0");
    } catch (IOException io) {
      resume = "restart the workers and the chief to resume from the newest checkpoint";
    }
    return new WorkerFailureException("distributed training stopped at " + what + ": " + who
        + " failed or cannot be reached (" + e.getClass().getSimpleName() + ": " + tf + "); no update was made from"
        + " incomplete gradients; " + resume, e);
  }

  /** TensorFlow's message without gRPC's debugging detail: "From /job:...: Broken pipe". */
  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (String line : s.split("\n")) {
      if (line.startsWith("Additional GRPC error information") || b.length() > 300) {
        break;
      }
      if (!line.isBlank()) {
        b.append(b.length() == 0 ? "" : " ").append(line.trim());
      }
    }
    return b.toString();
  }
}
