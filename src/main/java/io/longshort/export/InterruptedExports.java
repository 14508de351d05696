package io.longshort.export;

import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a killed export leaves in a model folder, and how the next export repairs it. An export
 * writes version N into a hidden {@code .N.tmp-<id>} folder and renames it to {@code N}; an
 * {@code --overwrite} first renames the old {@code N} to {@code .N.old-<id>} (a folder cannot be
 * renamed over a full one, and Java has no atomic exchange), then the new one into place, then
 * deletes the old. So a kill leaves at most:
 * <ul>
 *   <li>{@code .N.tmp-<id>}: an unfinished version, deleted;
 *   <li>{@code .N.old-<id>} with no {@code N}: killed between the two renames, the old version is
 *       renamed back (the interrupted export did not finish, so its version does not count);
 *   <li>{@code .N.old-<id>} beside {@code N}: killed while deleting the old version, deleted.
 * </ul>
 * TF Serving only loads folders named by an integer, so it never sees any of these. One export at
 * a time per model folder: a second one would take the first one's folders for leftovers.
 */
final class InterruptedExports {
  private static final Pattern TMP = Pattern.compile("\\.(\\d+)\\.tmp-.*");
  private static final Pattern OLD = Pattern.compile("\\.(\\d+)\\.old-.*");

  private InterruptedExports() {}

  static String tmpPrefix(long version) {
    return "." + version + ".tmp-";
  }

  /** The name the old version of an overwrite is moved to: the new one's id, so both pair up. */
  static String oldName(long version, Path tmp) {
    String f = tmp.getFileName().toString();
    return "." + version + ".old-" + f.substring(f.indexOf(".tmp-") + ".tmp-".length());
  }

  /** Repairs and cleans {@code modelDir} as the class comment says; returns one line per thing done. */
  static List<String> recover(Path modelDir) throws IOException {
    List<String> done = new ArrayList<>();
    if (!Files.isDirectory(modelDir)) {
      return done;
    }
    List<Path> hidden;
    try (Stream<Path> s = Files.list(modelDir)) {
      hidden = s.filter(p -> p.getFileName().toString().startsWith(".") && Files.isDirectory(p)).sorted().toList();
    }
    for (Path p : hidden) {
      Matcher old = OLD.matcher(p.getFileName().toString());
      if (!old.matches()) {
        continue;
      }
      String n = old.group(1);
      Path version = modelDir.resolve(n);
      // before this class, the old version went one level down, into .N.old-<id>/v
      Path content = !Files.exists(p.resolve(SavedModelWriter.SAVED_MODEL_FILE)) && Files.isDirectory(p.resolve("v"))
          ? p.resolve("v") : p;
      if (!Files.exists(version) && complete(content)) {
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
      Matcher tmp = TMP.matcher(p.getFileName().toString());
      if (tmp.matches() && Files.exists(p)) {
        ServingExport.deleteTree(p);
        done.add("removed " + p + ", the unfinished folder of an interrupted export of version " + tmp.group(1));
      }
    }
    return done;
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
   * Test hook for the kill tests: sleeps {@code -Dlongshort.test.exportPauseMs} milliseconds
   * between --overwrite's two renames (0, the default, does nothing), so that a kill can land in a
   * window that is otherwise two system calls wide.
   */
  static void pause() {
    long ms = Long.getLong("longshort.test.exportPauseMs", 0);
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
