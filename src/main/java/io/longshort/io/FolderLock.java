package io.longshort.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One writer per folder: an OS lock ({@link FileChannel#tryLock()}, fcntl on Linux) on
 * {@code <folder>/.longshort.lock}, held until {@link #close()} or the process's end. The OS drops
 * the lock when its process dies, so a kill -9 never leaves a stale lock; the file itself stays
 * (deleting it would let a second writer lock a new file while the first still holds the old one).
 * While held the file names its holder: PID, start time and what it is doing, which a refused
 * writer reports.
 *
 * <p>Java's file locks belong to the process: a second attempt from the same JVM is refused too
 * ({@link OverlappingFileLockException}, or found first in this class's table of held locks). The
 * table also keeps this JVM from opening and closing another channel on a held lock file, which on
 * Linux would release the holder's fcntl lock.
 */
public final class FolderLock implements AutoCloseable {
  public static final String FILE = ".longshort.lock";
  /** How long {@link #acquireWaiting} waits for a short-lived holder before refusing. */
  private static final long WAIT_MILLIS = 60_000;

  /** Locks this JVM holds, by the lock file's real path: the holder's line. */
  private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

  /** A second writer: the folder is held by another process (or another part of this one). */
  public static final class HeldException extends IllegalArgumentException {
    HeldException(String message) {
      super(message);
    }
  }

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private FolderLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code folder} (created if missing) for {@code what} (e.g. "train", "export"), or
   * refuses at once with a {@link HeldException} naming the holder.
   *
   * @param role what the folder is to the user, for the message ("run folder", "model folder")
   */
  public static FolderLock acquire(Path folder, String role, String what) throws IOException {
    Attempt a = tryAcquire(folder, what);
    if (a.lock() == null) {
      throw held(folder, role, a.holder());
    }
    return a.lock();
  }

  /**
   * Locks {@code folder} for a short job (rewriting a shared file), waiting up to a minute for a
   * holder that is doing the same; refuses like {@link #acquire} after that.
   */
  public static FolderLock acquireWaiting(Path folder, String role, String what) throws IOException {
    long until = System.nanoTime() + WAIT_MILLIS * 1_000_000;
    while (true) {
      Attempt a = tryAcquire(folder, what);
      if (a.lock() != null) {
        return a.lock();
      }
      if (System.nanoTime() > until) {
        throw held(folder, role, a.holder());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the lock of " + folder, e);
      }
    }
  }

  /** The lock, or (lock null) the holder's line as the lock file or this JVM's table gives it. */
  private record Attempt(FolderLock lock, String holder) {}

  private static Attempt tryAcquire(Path folder, String what) throws IOException {
    Files.createDirectories(folder);
    // the real path: one key for every spelling of the folder (a second channel must never be opened)
    Path file = folder.toRealPath().resolve(FILE);
    String line = "pid " + ProcessHandle.current().pid() + ", started "
        + ProcessHandle.current().info().startInstant().orElse(Instant.now()).truncatedTo(ChronoUnit.SECONDS)
        + ", " + what;
    // claimed in the table first: this JVM never opens a second channel on a file it holds
    String mine = HELD.putIfAbsent(file, line);
    if (mine != null) {
      return new Attempt(null, mine + " (this process)");
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held by this JVM outside this class
      }
      if (lock == null) {
        String holder = read(channel);
        channel.close();
        HELD.remove(file);
        return new Attempt(null, holder);
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
      return new Attempt(new FolderLock(file, channel, lock), null);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      HELD.remove(file);
      throw e;
    }
  }

  private static HeldException held(Path folder, String role, String holder) {
    String who = holder == null || holder.isBlank()
        ? "another process (it has not yet written its name into " + folder.resolve(FILE) + ")" : holder;
    return new HeldException(role + " " + folder + " is in use by another writer (" + who
        + "); wait for it to end or use another " + role);
  }

  private static String read(FileChannel channel) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(512);
    int n = channel.read(b, 0);
    return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip();
  }

  /** The lock file. */
  public Path file() {
    return file;
  }

  /** Releases the lock (the file stays: see the class comment). */
  @Override
  public void close() throws IOException {
    if (!channel.isOpen()) {
      return;
    }
    try {
      channel.truncate(0);
      lock.release();
    } finally {
      channel.close();
      HELD.remove(file);
    }
  }
}
