package io.longshort.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory as Linux reports it in {@code /proc/<pid>/status}: VmHWM (the
 * high-water mark) and VmRSS (now). Both count native memory (TensorFlow's buffers), which the
 * JVM's own counters do not see.
 */
final class PeakMemory {
  private PeakMemory() {}

  /** This process's high-water mark in bytes. */
  public static long selfPeak() {
    return read(Path.of("/proc/self/status"), "VmHWM:");
  }

  /** Resident bytes of process {@code pid} now, or -1 when it has gone. */
  public static long resident(long pid) {
    return read(Path.of("/proc/" + pid + "/status"), "VmRSS:");
  }

  private static long read(Path status, String field) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith(field)) {
          // "VmHWM:	  123456 kB"
          String[] parts = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
      return -1; // a process that has exited (a zombie) has no memory lines
    } catch (IOException e) {
      return -1;
    }
  }
}
