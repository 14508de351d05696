package io.longshort.train.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Waits until every worker's port accepts connections. TensorFlow's master waits for missing
 * workers without end (logging only at INFO level), so a job whose worker never starts would hang
 * silently; this bounds the wait and names who is missing.
 */
public final class WorkerReadiness {
  private static final long REPORT_EVERY_MILLIS = 10_000;

  private WorkerReadiness() {}

  /**
   * @param report receives a line every 10 s while some worker is missing
   * @throws IllegalStateException naming the missing workers when {@code timeoutMillis} passes
   */
  public static void await(ClusterSpec cluster, long timeoutMillis, Consumer<String> report) {
    long start = System.currentTimeMillis();
    long nextReport = start + REPORT_EVERY_MILLIS;
    while (true) {
      List<String> missing = unreachable(cluster);
      if (missing.isEmpty()) {
        return;
      }
      long now = System.currentTimeMillis();
      if (now - start >= timeoutMillis) {
        throw new IllegalStateException("distributed training cannot start: " + String.join(", ", missing)
            + " not reachable after " + timeoutMillis / 1000 + " s; start them with `longshort worker` and the same"
            + " cluster, or check the host:port list");
      }
      if (now >= nextReport) {
        report.accept("waiting for " + String.join(", ", missing));
        nextReport = now + REPORT_EVERY_MILLIS;
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the workers", e);
      }
    }
  }

  /**
   * The workers whose port does not accept a connection within a second, as "worker i (host:port)":
   * a dead process (refused) or a host cut off from this one (no answer).
   */
  static List<String> unreachable(ClusterSpec cluster) {
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      if (!reachable(cluster.workers().get(i))) {
        missing.add("worker " + i + " (" + cluster.workers().get(i) + ")");
      }
    }
    return missing;
  }

  private static boolean reachable(String address) {
    int colon = address.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
          1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
