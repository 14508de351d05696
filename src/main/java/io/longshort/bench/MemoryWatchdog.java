package io.longshort.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches a benchmark's child process: polls its resident memory (VmRSS, {@link PeakMemory}) and
 * kills it once that passes a budget or a deadline passes, so that a configuration too large for
 * the machine ends as "over budget" instead of swapping. Used by {@link BenchRunner} and
 * {@link RecomputeLongestMain}.
 */
final class MemoryWatchdog {
  private static final long POLL_MS = 20;

  private final AtomicBoolean overBudget = new AtomicBoolean();
  private final AtomicBoolean timedOut = new AtomicBoolean();
  private final AtomicLong highest = new AtomicLong();

  private MemoryWatchdog() {}

  /** Starts watching {@code p} on a daemon thread, until it exits or is killed. */
  static MemoryWatchdog watch(Process p, long budgetBytes, long deadlineNanos) {
    MemoryWatchdog w = new MemoryWatchdog();
    Thread t = new Thread(() -> {
      while (p.isAlive()) {
        long rss = PeakMemory.resident(p.pid());
        w.highest.accumulateAndGet(rss, Math::max);
        if (rss > budgetBytes) {
          w.overBudget.set(true);
          p.destroyForcibly();
          return;
        }
        if (System.nanoTime() > deadlineNanos) {
          w.timedOut.set(true);
          p.destroyForcibly();
          return;
        }
        try {
          Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-watchdog");
    t.setDaemon(true);
    t.start();
    return w;
  }

  /** Whether the process was killed for passing the budget. */
  boolean overBudget() {
    return overBudget.get();
  }

  /** Whether the process was killed at the deadline. */
  boolean timedOut() {
    return timedOut.get();
  }

  /** The largest resident size seen, in bytes. */
  long highest() {
    return highest.get();
  }
}
