package io.longshort.data;

import io.longshort.io.AtomicFiles;
import io.longshort.io.FolderLock;
import io.longshort.io.OwnedFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates the LRA ListOps splits into a folder: basic_train.tsv, basic_val.tsv, basic_test.tsv.
 * The first {@code train} distinct expressions go to train, the next {@code valid} to val, the
 * next {@code test} to test (no expression is in two splits). Rows are streamed to temporary
 * files in the folder, renamed to their names only when all three are complete.
 *
 * <p>Before anything is drawn: a request for more distinct expressions than the length range
 * holds ({@link ListOpsCount}) is refused; the folder is locked ({@link FolderLock}: one generator
 * at a time), which makes the temporary files that killed generators left recognisably dead, and
 * they are removed; existing split files are refused unless {@code overwrite}, and then replaced
 * only when this class wrote them ({@link OwnedFiles}, which records the new ones). The folder's
 * other files are never touched.
 */
public final class ListOpsSplits {
  /** The writer {@link OwnedFiles} records for the split files. */
  static final String WRITER = "generate-listops";
  private static final List<String> NAMES = List.of(ListOpsTsv.TRAIN, ListOpsTsv.VALID, ListOpsTsv.TEST);

  private ListOpsSplits() {}

  /** Rows and label histogram of one written file. */
  public record SplitStats(Path file, int rows, int[] labelCounts) {}

  /**
   * What was written, how many trees were drawn for it, and the temporary files of killed
   * generators that were removed first.
   */
  public record Result(List<SplitStats> splits, long treesTried, long duplicatesDropped, double seconds,
      List<Path> removedLeftovers) {}

  /** {@link #generate(Path, int, int, int, int, int, long, boolean)} refusing existing split files. */
  public static Result generate(Path dir, int train, int valid, int test, int minLength, int maxLength, long seed)
      throws IOException {
    return generate(dir, train, valid, test, minLength, maxLength, seed, false);
  }

  /** @param overwrite replace split files this class wrote before (others are refused either way) */
  public static Result generate(Path dir, int train, int valid, int test, int minLength, int maxLength, long seed,
      boolean overwrite) throws IOException {
    if (train < 0 || valid < 0 || test < 0) {
      throw new IllegalArgumentException("split sizes (" + train + ", " + valid + ", " + test + ") must be >= 0");
    }
    long t0 = System.nanoTime();
    ListOpsGenerator gen = new ListOpsGenerator(seed, minLength, maxLength);
    long need = (long) train + valid + test;
    double available = ListOpsCount.distinct(minLength, maxLength, ListOpsGenerator.DEFAULT_MAX_DEPTH,
        ListOpsGenerator.DEFAULT_MAX_ARGS, need);
    if (available >= 0 && available < need) {
      throw new IllegalArgumentException(String.format("only %,.0f distinct ListOps expressions have more than %d and"
          + " fewer than %d tokens (depth <= %d, 2..%d arguments per operator); the splits ask for %,d (train %,d,"
          + " valid %,d, test %,d): widen the length range or ask for fewer", available, minLength, maxLength,
          ListOpsGenerator.DEFAULT_MAX_DEPTH, ListOpsGenerator.DEFAULT_MAX_ARGS, need, train, valid, test));
    }
    try (FolderLock lock = FolderLock.acquire(dir, "data folder", WRITER)) {
      for (String name : NAMES) {
        if (!overwrite && Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
          throw new IllegalArgumentException(dir.resolve(name) + " exists; choose another folder, or replace the"
              + " split files with --overwrite (only files " + WRITER + " wrote are replaced)");
        }
      }
      OwnedFiles.checkReplaceable(dir, WRITER, NAMES, "folder");
      // the lock is ours: temporary files named like ours are a killed generator's
      List<Path> removed = AtomicFiles.removeLeftovers(dir,
          String.join("|", NAMES.stream().map(java.util.regex.Pattern::quote).toList()));
      List<Path> tmps = new ArrayList<>();
      List<SplitStats> stats = new ArrayList<>();
      int[] counts = {train, valid, test};
      try {
        for (int s = 0; s < 3; s++) {
          Path tmp = AtomicFiles.createTemp(dir.resolve(NAMES.get(s)));
          tmps.add(tmp);
          int[] hist = new int[10];
          try (Writer w = ListOpsTsv.newWriter(tmp)) {
            ListOpsTsv.writeHeader(w);
            for (int i = 0; i < counts[s]; i++) {
              ListOpsExample e = gen.next();
              hist[e.label()]++;
              ListOpsTsv.writeRow(w, e);
            }
          }
          AtomicFiles.readableByAll(tmp);
          stats.add(new SplitStats(dir.resolve(NAMES.get(s)), counts[s], hist));
        }
        for (int s = 0; s < 3; s++) {
          Files.move(tmps.get(s), dir.resolve(NAMES.get(s)), StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
        }
        OwnedFiles.record(dir, WRITER, NAMES);
      } finally {
        for (Path tmp : tmps) {
          Files.deleteIfExists(tmp);
        }
      }
      return new Result(stats, gen.tried(), gen.duplicates(), (System.nanoTime() - t0) / 1e9, removed);
    }
  }
}
