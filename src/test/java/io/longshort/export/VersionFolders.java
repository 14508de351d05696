package io.longshort.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A model folder as the tests look at it: the version names TF Serving sees, the files of a
 * version (through its link to the hidden folder that holds it), and what is hidden there beyond
 * the folders the version links point to (an interrupted export's leftovers).
 */
public final class VersionFolders {
  private VersionFolders() {}

  /** The entries of {@code folder} that are not hidden, sorted. */
  public static List<String> visible(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
    }
  }

  /** The regular files under {@code root} (a version link is followed to its folder), relative and sorted. */
  public static List<String> tree(Path root) throws IOException {
    Path real = root.toRealPath();
    try (Stream<Path> s = Files.walk(real)) {
      return s.filter(Files::isRegularFile).map(p -> real.relativize(p).toString()).sorted().toList();
    }
  }

  /** The hidden entries of {@code model} that no version link points to, sorted, but the folder's lock file. */
  public static List<Path> leftovers(Path model) throws IOException {
    if (!Files.isDirectory(model)) {
      return List.of();
    }
    Set<Path> linked = new HashSet<>();
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(model)) {
      for (Path p : s.sorted().toList()) {
        if (p.getFileName().toString().equals(io.longshort.io.FolderLock.FILE)) {
          continue; // the model folder's lock file stays (FolderLock): no leftover
        }
        if (p.getFileName().toString().startsWith(".")) {
          out.add(p);
        } else if (Files.isSymbolicLink(p)) {
          linked.add(model.resolve(Files.readSymbolicLink(p)).normalize());
        }
      }
    }
    out.removeIf(p -> linked.contains(p.normalize()));
    return out;
  }
}
