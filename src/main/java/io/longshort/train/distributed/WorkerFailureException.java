package io.longshort.train.distributed;

import io.longshort.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
    String message = e.getMessage() == null ? "" : e.getMessage();
    String tf = firstLine(message);
    Matcher m = TASK.matcher(message);
    String who;
    String why = e.getClass().getSimpleName() + ": " + tf;
    if (m.find()) {
      int task = Integer.parseInt(m.group(1));
      who = "worker " + task + (task < cluster.size() ? " (" + cluster.workers().get(task) + ")" : "");
    } else {
      // TF names no task when the step only ran out of time (a hung worker, or a network that drops
      // the packets, as a cut link does): ask every worker's port who is gone
      List<String> gone = WorkerReadiness.unreachable(cluster);
      who = gone.isEmpty() ? "a worker" : String.join(", ", gone);
      if (message.contains("timed out") || message.contains("Deadline Exceeded")) {
        why += "; the step took longer than --step-timeout";
      }
      if (!gone.isEmpty()) {
        why += (gone.size() == 1 ? "; its port does not" : "; their ports do not") + " answer now";
      }
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
        + " failed or cannot be reached (" + why + "); no update was made from incomplete gradients; " + resume, e);
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
