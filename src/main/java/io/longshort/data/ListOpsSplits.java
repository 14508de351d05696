package io.longshort.data;

import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Generates the LRA ListOps splits into a folder: basic_train.tsv, basic_val.tsv, basic_test.tsv.
 * The first {@code train} distinct expressions go to train, the next {@code valid} to val, the
 * next {@code test} to test (no expression is in two splits). Rows are streamed to temporary
 * files in the folder, renamed to their names only when all three are complete.
 */
public final class ListOpsSplits {
  private ListOpsSplits() {}

  /** Rows and label histogram of one written file. */
  public record SplitStats(Path file, int rows, int[] labelCounts) {}

  /** What was written, and how many trees were drawn for it. */
  public record Result(List<SplitStats> splits, long treesTried, long duplicatesDropped, double seconds) {}

  public static Result generate(Path dir, int train, int valid, int test, int minLength, int maxLength, long seed)
      throws IOException {
    if (train < 0 || valid < 0 || test < 0) {
      throw new IllegalArgumentException("split sizes (" + train + ", " + valid + ", " + test + ") must be >= 0");
    }
    long t0 = System.nanoTime();
    ListOpsGenerator gen = new ListOpsGenerator(seed, minLength, maxLength);
    Files.createDirectories(dir);
    String[] names = {ListOpsTsv.TRAIN, ListOpsTsv.VALID, ListOpsTsv.TEST};
    int[] counts = {train, valid, test};
    List<Path> tmps = new ArrayList<>();
    List<SplitStats> stats = new ArrayList<>();
    try {
      for (int s = 0; s < 3; s++) {
        Path tmp = Files.createTempFile(dir, "." + names[s], ".tmp");
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
        stats.add(new SplitStats(dir.resolve(names[s]), counts[s], hist));
      }
      for (int s = 0; s < 3; s++) {
        Files.move(tmps.get(s), dir.resolve(names[s]), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      for (Path tmp : tmps) {
        Files.deleteIfExists(tmp);
      }
    }
    return new Result(stats, gen.tried(), gen.duplicates(), (System.nanoTime() - t0) / 1e9);
  }
}
