package io.longshort.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes files whole or not at all: a temporary file in the same folder, then an atomic rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static void write(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (AccessDeniedException e) {
      throw new IOException("cannot create folder " + dir + ": permission denied", e);
    }
    if (!Files.isWritable(dir)) {
      throw new IOException("cannot write into folder " + dir + ": permission denied");
    }
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      readableByAll(tmp);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
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
