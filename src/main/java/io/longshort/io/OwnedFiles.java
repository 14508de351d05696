package io.longshort.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What our commands wrote into a folder, so that {@code --overwrite} replaces only that: the marker
 * file {@code .longshort-owned.json} lists each file a command wrote (relative path), the command,
 * and the file's {@link ContentFingerprint} when it was written. A file that is not listed, or
 * whose contents changed since (the user put their own there), is the user's: an overwrite that
 * would replace it is refused, naming it.
 *
 * <p>{@code {"files": {"basic_train.tsv": {"writer": "generate-listops", "fingerprint": "sha256:..."}}}}
 */
public final class OwnedFiles {
  public static final String MARKER = ".longshort-owned.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private OwnedFiles() {}

  /** One listed file: who wrote it and its contents' fingerprint then. */
  private record Entry(String writer, String fingerprint) {}

  /**
   * Records {@code names} (paths relative to {@code dir}) as written by {@code writer}, keeping the
   * marker's other entries; the marker is written atomically.
   */
  public static void record(Path dir, String writer, List<String> names) throws IOException {
    Map<String, Entry> entries = read(dir);
    for (String name : names) {
      entries.put(name, new Entry(writer, ContentFingerprint.of(dir.resolve(name))));
    }
    ObjectNode files = JSON.createObjectNode();
    entries.forEach((name, e) -> files.putObject(name).put("writer", e.writer()).put("fingerprint", e.fingerprint()));
    ObjectNode root = JSON.createObjectNode();
    root.set("files", files);
    AtomicFiles.writeString(dir.resolve(MARKER), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
  }

  /** Records every regular file under {@code dir} (the marker aside) as written by {@code writer}. */
  public static void recordAll(Path dir, String writer) throws IOException {
    record(dir, writer, files(dir));
  }

  /**
   * Throws, naming the first, unless each of {@code names} that exists in {@code dir} is listed as
   * {@code writer}'s with its contents unchanged.
   *
   * @param option what the user gave, for the way out (e.g. "--out")
   */
  public static void checkReplaceable(Path dir, String writer, List<String> names, String option) throws IOException {
    Map<String, Entry> entries = read(dir);
    for (String name : names) {
      Path f = dir.resolve(name);
      if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      Entry e = entries.get(name);
      String why = null;
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        why = "is not a file " + writer + " writes";
      } else if (e == null || !e.writer().equals(writer)) {
        why = "was not written by " + writer + " (" + (Files.exists(dir.resolve(MARKER))
            ? MARKER + " does not list it as " + writer + "'s" : "the folder has no " + MARKER) + ")";
      } else if (!e.fingerprint().equals(ContentFingerprint.of(f))) {
        why = "was changed since " + writer + " wrote it (its contents differ from what " + MARKER + " recorded)";
      }
      if (why != null) {
        throw new IllegalArgumentException(f + " " + why + "; --overwrite replaces only what " + writer
            + " wrote: move it away or choose another " + option);
      }
    }
  }

  /**
   * Throws, naming the first, unless everything under {@code dir} (absent or empty passes) is
   * {@code writer}'s and unchanged: for replacing the whole folder.
   */
  public static void checkFolderReplaceable(Path dir, String writer, String option) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is a file, not a folder " + writer + " wrote; --overwrite replaces"
          + " only what " + writer + " wrote: move it away or choose another " + option);
    }
    List<String> all = new ArrayList<>();
    Path real = dir.toRealPath();
    try (Stream<Path> s = Files.walk(real)) {
      for (Path p : s.sorted().toList()) {
        // folders are the user's only through what they hold; the marker is ours
        if (!p.equals(real) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && !p.equals(real.resolve(MARKER))) {
          all.add(real.relativize(p).toString());
        }
      }
    }
    checkReplaceable(real, writer, all, option);
  }

  /** The regular files under {@code dir}, relative, the marker aside. */
  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .map(p -> dir.relativize(p).toString()).filter(n -> !n.equals(MARKER)).sorted().toList();
    }
  }

  private static Map<String, Entry> read(Path dir) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    Path marker = dir.resolve(MARKER);
    if (!Files.isRegularFile(marker)) {
      return entries;
    }
    JsonNode files;
    try {
      files = JSON.readTree(marker.toFile()).path("files");
    } catch (IOException e) {
      throw new IOException(marker + " is not the JSON our commands write (" + e.getClass().getSimpleName()
          + "); nothing in " + dir + " is taken as theirs until it is", e);
    }
    files.fields().forEachRemaining(f -> {
      JsonNode w = f.getValue().path("writer");
      JsonNode fp = f.getValue().path("fingerprint");
      if (w.isTextual() && fp.isTextual()) {
        entries.put(f.getKey(), new Entry(w.asText(), fp.asText()));
      }
    });
    return entries;
  }
}
