package io.longshort.train.distributed;

import io.longshort.TestJvm;
import io.longshort.cli.Main;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Worker processes ({@code longshort worker}) on free loopback ports, for tests. */
final class LocalCluster implements AutoCloseable {
  private final List<String> addresses = new ArrayList<>();
  private final Process[] workers;
  private final Path logs;

  LocalCluster(int size, Path logs) throws IOException {
    this.logs = logs;
    this.workers = new Process[size];
    for (int i = 0; i < size; i++) {
      try (ServerSocket s = new ServerSocket(0)) {
        addresses.add("localhost:" + s.getLocalPort());
      }
    }
    for (int i = 0; i < size; i++) {
      start(i);
    }
    for (int i = 0; i < size; i++) {
      awaitServing(i);
    }
  }

  ClusterSpec chief() {
    return ClusterSpec.of(addresses, 0);
  }

  /** Starts worker {@code i} (again, on its port). */
  void start(int i) throws IOException {
    List<String> cmd = TestJvm.command(Main.class, "worker", "--workers", String.join(",", addresses), "--task",
        Integer.toString(i));
    workers[i] = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(i).toFile()).start();
  }

  void awaitServing(int i) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log(i)) && Files.readString(log(i)).contains("serving on")) {
        return;
      }
      if (!workers[i].isAlive()) {
        throw new IllegalStateException("worker " + i + " exited: " + Files.readString(log(i)));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("worker " + i + " did not start: " + Files.readString(log(i)));
  }

  /** Ends worker {@code i} the hard way (SIGKILL), as a crashed machine would. */
  void kill(int i) throws InterruptedException {
    workers[i].destroyForcibly();
    workers[i].waitFor(30, TimeUnit.SECONDS);
  }

  Path log(int i) {
    return logs.resolve("worker-" + i + ".log");
  }

  @Override
  public void close() throws InterruptedException {
    for (int i = 0; i < workers.length; i++) {
      if (workers[i] != null && workers[i].isAlive()) {
        kill(i);
      }
    }
  }
}
