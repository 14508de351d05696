package io.longshort.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Writes files whole or not at all: a temporary file in the same folder, then an atomic rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes {@code file} whole or not at all. A failure (a full disk's bare "No space left on
   * device") names the file, and the folders this write created for it are removed again.
   */
  public static void write(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path created = firstMissing(dir);
    try {
      Files.createDirectories(dir);
    } catch (AccessDeniedException e) {
      throw new IOException("cannot create folder " + dir + ": permission denied", e);
    }
    boolean written = false;
    try {
      if (!Files.isWritable(dir)) {
        throw new IOException("cannot write into folder " + dir + ": permission denied");
      }
      Path tmp = createTemp(file);
      try {
        Files.write(tmp, bytes);
        readableByAll(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        written = true;
      } catch (java.nio.file.FileSystemException e) {
        throw e;
      } catch (IOException e) {
        throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } finally {
      if (!written && created != null) {
        removeEmpty(dir, created);
      }
    }
  }

  /** The outermost folder of {@code dir} (itself included) that does not exist yet, or null. */
  private static Path firstMissing(Path dir) {
    Path missing = null;
    for (Path p = dir; p != null && !Files.exists(p); p = p.getParent()) {
      missing = p;
    }
    return missing;
  }

  /** Removes the empty folders from {@code dir} up to {@code top} (both included); stops at one that is not empty. */
  private static void removeEmpty(Path dir, Path top) {
    for (Path p = dir; p != null && p.startsWith(top); p = p.getParent()) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        return; // not empty (someone else's file), or not ours to remove
      }
    }
  }

  /**
   * The temporary file a write of {@code file} goes to: {@code .<name><random digits>.tmp} in the
   * same folder (hidden, and never matching the published name), created private.
   */
  public static Path createTemp(Path file) throws IOException {
    return Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
  }

  /**
   * Deletes the temporary files that writes of files named like {@code nameRegex} left in
   * {@code dir} when their process was killed ({@link #createTemp}'s names), and returns them.
   * Only for folders that one process writes at a time: another writer's file would go too.
   */
  public static List<Path> removeLeftovers(Path dir, String nameRegex) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    Pattern leftover = Pattern.compile("\\.(?:" + nameRegex + ")-?\\d*\\.tmp");
    List<Path> removed = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> leftover.matcher(f.getFileName().toString()).matches()).toList()) {
        if (Files.isRegularFile(f) && Files.deleteIfExists(f)) {
          removed.add(f);
        }
      }
    }
    return removed;
  }

  /**
   * Temporary files and folders are created private (0600/0700); what we publish gets the usual
   * 0644/0755, like any file the user writes.
   */
  public static void readableByAll(Path path) throws IOException {
    if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString(
        Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
  }

  public static void writeString(Path file, String text) throws IOException {
    write(file, text.getBytes(StandardCharsets.UTF_8));
  }
}
