package io.longshort.export;

import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a killed export leaves in a model folder, and how the next export repairs it. Every version
 * N is a symbolic link {@code N -> .N.<id>} to a hidden real folder, because rename(2) replaces an
 * existing link atomically while a full folder cannot be renamed over (and Java has no atomic
 * exchange of two folders). An export writes into {@code .N.tmp-<id>}, renames it to
 * {@code .N.<id>}, makes the link {@code .N.link-<id>} to it and renames the link onto {@code N};
 * an {@code --overwrite} then deletes the folder the old link pointed to. So {@code N} always
 * resolves to a whole SavedModel, the old or the new, and a kill leaves at most:
 * <ul>
 *   <li>{@code .N.tmp-<id>}: an unfinished version, deleted;
 *   <li>{@code .N.<id>} that no version link points to: a version killed before its link was
 *       renamed into place, or the replaced one of an --overwrite not yet deleted, deleted;
 *   <li>{@code .N.link-<id>}: a link not yet renamed into place, deleted.
 * </ul>
 * A version {@code N} that is a real folder (exports made before version links) is replaced once
 * the old way: renamed to {@code .N.old-<id>}, the link renamed into place, the old one deleted.
 * A kill between those two renames leaves {@code .N.old-<id>} with no {@code N}, which is renamed
 * back; beside {@code N} it is deleted. TF Serving only loads names that are integers (it follows
 * the links), so it never sees any of these. One export at a time per model folder, which
 * {@link ServingExport} holds locked ({@link io.longshort.io.FolderLock}) while it repairs, so
 * what is repaired here is never a live export's: a second one would take the first one's folders
 * for leftovers.
 */
final class InterruptedExports {
  private static final Pattern TMP = Pattern.compile("\\.(\\d+)\\.tmp-.*");
  private static final Pattern OLD = Pattern.compile("\\.(\\d+)\\.old-.*");
  private static final Pattern LINK = Pattern.compile("\\.(\\d+)\\.link-.*");
  /** A version's real folder: {@code .N.<id>} (createTempDirectory's ids are digits; no '-', unlike the others). */
  private static final Pattern TARGET = Pattern.compile("\\.(\\d+)\\.[0-9A-Za-z_]+");

  private InterruptedExports() {}

  static String tmpPrefix(long version) {
    return "." + version + ".tmp-";
  }

  /** The id of a temporary folder made with {@link #tmpPrefix}, which names everything else of its export. */
  private static String id(Path tmp) {
    String f = tmp.getFileName().toString();
    return f.substring(f.indexOf(".tmp-") + ".tmp-".length());
  }

  /** The name the old version of an overwrite is moved to: the new one's id, so both pair up. */
  static String oldName(long version, Path tmp) {
    return "." + version + ".old-" + id(tmp);
  }

  /** The hidden real folder version {@code version} of {@code tmp}'s export is published from. */
  static String targetName(long version, Path tmp) {
    return "." + version + "." + id(tmp);
  }

  static String linkName(long version, Path tmp) {
    return "." + version + ".link-" + id(tmp);
  }

  /** Repairs and cleans {@code modelDir} as the class comment says; returns one line per thing done. */
  static List<String> recover(Path modelDir) throws IOException {
    List<String> done = new ArrayList<>();
    if (!Files.isDirectory(modelDir)) {
      return done;
    }
    List<Path> hidden;
    try (Stream<Path> s = Files.list(modelDir)) {
      hidden = s.filter(p -> p.getFileName().toString().startsWith(".")).sorted().toList();
    }
    // links not yet renamed into place first: they point at folders the next loop may remove
    for (Path p : hidden) {
      Matcher link = LINK.matcher(p.getFileName().toString());
      if (link.matches() && Files.isSymbolicLink(p)) {
        Files.delete(p);
        done.add("removed " + p + ", the link of an interrupted export of version " + link.group(1)
            + " that was not yet renamed into place");
      }
    }
    for (Path p : hidden) {
      Matcher old = OLD.matcher(p.getFileName().toString());
      if (!old.matches() || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      String n = old.group(1);
      Path version = modelDir.resolve(n);
      // before this class, the old version went one level down, into .N.old-<id>/v
      Path content = !Files.exists(p.resolve(SavedModelWriter.SAVED_MODEL_FILE)) && Files.isDirectory(p.resolve("v"))
          ? p.resolve("v") : p;
      if (!Files.exists(version, LinkOption.NOFOLLOW_LINKS) && complete(content)) {
        Files.move(content, version, StandardCopyOption.ATOMIC_MOVE);
        if (Files.exists(p)) {
          ServingExport.deleteTree(p);
        }
        done.add("restored version " + n + " of " + modelDir + " from " + p.getFileName()
            + ", where an --overwrite killed between its two renames had left it");
      } else {
        ServingExport.deleteTree(p);
        done.add("removed " + modelDir.resolve(p.getFileName()) + (Files.exists(version)
            ? ", the replaced version " + n + " that an interrupted --overwrite had not yet deleted"
            : ", an incomplete copy of version " + n));
      }
    }
    for (Path p : hidden) {
      Matcher target = TARGET.matcher(p.getFileName().toString());
      if (target.matches() && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
          && !p.getFileName().equals(linkTarget(modelDir.resolve(target.group(1))))) {
        ServingExport.deleteTree(p);
        done.add("removed " + p + ", a folder of version " + target.group(1) + " that no version link points to"
            + " (an export killed before its link was in place, or the version an --overwrite replaced)");
      }
    }
    for (Path p : hidden) {
      Matcher tmp = TMP.matcher(p.getFileName().toString());
      if (tmp.matches() && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        ServingExport.deleteTree(p);
        done.add("removed " + p + ", the unfinished folder of an interrupted export of version " + tmp.group(1));
      }
    }
    return done;
  }

  /** The name version link {@code version} points to, or null when it is no link (absent, a real folder). */
  static Path linkTarget(Path version) throws IOException {
    return Files.isSymbolicLink(version) ? Files.readSymbolicLink(version).getFileName() : null;
  }

  /** Temporary files of an interrupted write of models.config or batching_parameters.txt. */
  static List<String> removeConfigLeftovers(Path root) throws IOException {
    List<String> done = new ArrayList<>();
    for (Path p : AtomicFiles.removeLeftovers(root, Pattern.quote(ServingExport.MODELS_CONFIG) + "|"
        + Pattern.quote(ServingExport.BATCHING_FILE))) {
      done.add("removed " + p + ", left by an interrupted write");
    }
    return done;
  }

  /** A version TF Serving can load: the SavedModel's graph and its variables' index. */
  static boolean complete(Path dir) {
    return Files.isRegularFile(dir.resolve(SavedModelWriter.SAVED_MODEL_FILE))
        && Files.isRegularFile(dir.resolve("variables").resolve("variables.index"));
  }

  /**
   * Test hook for the kill tests: sleeps {@code -Dlongshort.test.exportPauseMs} milliseconds after
   * a version's link is made and before it is renamed into place (for a real-folder version: between
   * the two renames); 0, the default, does nothing. So a kill can land in a window that is
   * otherwise a system call or two wide. With {@code -Dlongshort.test.exportPauseUntil=FILE} the
   * pause ends as soon as FILE exists: a test that holds an export until another process did
   * something ends the pause then, rather than waiting out a time long enough for a loaded machine.
   */
  static void pause() {
    long ms = Long.getLong("longshort.test.exportPauseMs", 0);
    String until = System.getProperty("longshort.test.exportPauseUntil");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    try {
      for (long left = ms; left > 0; left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) {
        if (until != null && Files.exists(Path.of(until))) {
          return;
        }
        Thread.sleep(until == null ? left : Math.min(left, 10));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
