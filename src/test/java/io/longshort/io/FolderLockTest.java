package io.longshort.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.TestJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderLockTest {
  @TempDir
  Path dir;

  @Test
  void aSecondLockInThisProcessIsRefusedNamingIt() throws Exception {
    Path folder = dir.resolve("run");
    try (FolderLock first = FolderLock.acquire(folder, "run folder", "training")) {
      String line = Files.readString(first.file()).strip();
      assertEquals("pid " + ProcessHandle.current().pid() + ", started ", line.substring(0, line.indexOf("started ") + 8));
      // another spelling of the same folder (here a link to it) is the same lock
      Path alias = Files.createSymbolicLink(dir.resolve("alias"), folder);
      FolderLock.HeldException e = assertThrows(FolderLock.HeldException.class,
          () -> FolderLock.acquire(alias, "run folder", "training"));
      assertTrue(e.getMessage().startsWith("run folder " + alias + " is in use by another writer (pid "
          + ProcessHandle.current().pid() + ", started "), e.getMessage());
      assertTrue(e.getMessage().contains(", training (this process)); wait for it to end or use another run folder"),
          e.getMessage());
      assertTrue(e instanceof IllegalArgumentException, "bad input: exit status 2");
    }
    // released: the next writer gets it, and the file stays (never deleted: see FolderLock)
    try (FolderLock again = FolderLock.acquire(folder, "run folder", "training")) {
      assertTrue(Files.exists(again.file()));
    }
  }

  @Test
  void aLockTakenOutsideTheClassInThisJvmIsReportedAsHeld() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("m"));
    // Java's own per-JVM check: a second lock attempt throws OverlappingFileLockException
    try (FileChannel c = FileChannel.open(folder.resolve(FolderLock.FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock l = c.lock()) {
      FolderLock.HeldException e = assertThrows(FolderLock.HeldException.class,
          () -> FolderLock.acquire(folder, "model folder", "export"));
      assertTrue(e.getMessage().startsWith("model folder " + folder + " is in use by another writer"), e.getMessage());
    }
  }

  @Test
  void anotherProcessHoldsTheLockUntilItIsKilled() throws Exception {
    Path folder = dir.resolve("shared");
    Process p = new ProcessBuilder(TestJvm.command(HoldLock.class, folder.toString()))
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      assertTrue(first != null && first.startsWith("held "), "the other process took the lock: " + first);
      FolderLock.HeldException e = assertThrows(FolderLock.HeldException.class,
          () -> FolderLock.acquire(folder, "run folder", "training"));
      String started = p.info().startInstant().map(i -> i.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
          .orElseThrow();
      assertEquals("run folder " + folder + " is in use by another writer (pid " + p.pid() + ", started " + started
          + ", HoldLock); wait for it to end or use another run folder", e.getMessage());
      // a short job waits for the holder, then refuses the same way (here: the holder dies first)
      p.destroyForcibly(); // SIGKILL: no finally, no shutdown hook
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      // the OS released the lock with the process: no stale lock, though the file is still there
      try (FolderLock mine = FolderLock.acquire(folder, "run folder", "training")) {
        assertTrue(Files.readString(mine.file()).startsWith("pid " + ProcessHandle.current().pid()));
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aWaitingLockGetsTheFolderWhenTheHolderEnds() throws Exception {
    Path folder = dir.resolve("root");
    FolderLock held = FolderLock.acquire(folder, "model root", "writing models.config");
    Thread release = new Thread(() -> {
      try {
        Thread.sleep(200);
        held.close();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    long t0 = System.nanoTime();
    release.start();
    try (FolderLock l = FolderLock.acquireWaiting(folder, "model root", "writing models.config")) {
      assertTrue((System.nanoTime() - t0) / 1e6 >= 150, "waited for the holder");
    }
    release.join();
  }
}
