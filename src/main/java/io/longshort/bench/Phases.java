package io.longshort.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.tensorflow.Graph;
import org.tensorflow.proto.GraphDef;

/**
 * Where a benchmark process's resident memory comes from over its life: with {@code -Drecompute.phases},
 * {@link #mark} prints {@code PHASE <label> rss_mib=.. hwm_mib=.. phase_hwm_mib=.. heap_used_mib=..
 * heap_committed_mib=..} and then resets the kernel's high-water mark to the resident memory now
 * ({@code /proc/self/clear_refs}, 5), so each line's {@code phase_hwm_mib} is the peak reached since
 * the line before; {@code hwm_mib} is the process's peak so far (kept across the resets here).
 * Without the property nothing is printed or reset.
 */
final class Phases {
  private static final boolean ON = System.getProperty("recompute.phases") != null;
  private static long processPeak;

  private Phases() {}

  static void mark(String label) {
    if (ON) {
      print(label, "");
    }
  }

  /** {@link #mark}, with the graph's node and function counts and its GraphDef's size. */
  static void graph(String label, Graph g) {
    if (ON) {
      GraphDef def = g.toGraphDef();
      print(label, String.format(Locale.ROOT, " nodes=%d functions=%d graphdef_mib=%.1f", def.getNodeCount(),
          def.getLibrary().getFunctionCount(), def.getSerializedSize() / 1048576.0));
    }
  }

  /** The process's peak resident bytes (VmHWM, and the peaks before each reset of it here). */
  static long processPeak() {
    return Math.max(processPeak, PeakMemory.selfPeak());
  }

  private static void print(String label, String extra) {
    long phasePeak = PeakMemory.selfPeak();
    processPeak = Math.max(processPeak, phasePeak);
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    System.out.printf(Locale.ROOT, "PHASE %-34s rss_mib=%d hwm_mib=%d phase_hwm_mib=%d heap_used_mib=%d"
        + " heap_committed_mib=%d%s%n", label, PeakMemory.resident(ProcessHandle.current().pid()) >> 20,
        processPeak >> 20, phasePeak >> 20, heap.getUsed() >> 20, heap.getCommitted() >> 20, extra);
    System.out.flush();
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException e) {
      throw new IllegalStateException("cannot reset VmHWM through /proc/self/clear_refs: " + e.getMessage(), e);
    }
  }
}
