package io.longshort.data;

import io.longshort.io.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The LRA ListOps TSV files: header {@code Source<TAB>Target}, one row per expression with the
 * source in the LRA parenthesised form and the label, lines ended by CRLF as Python's csv writer
 * (which wrote the LRA files) ends them. Reading accepts LF or CRLF.
 */
public final class ListOpsTsv {
  private ListOpsTsv() {}

  public static final String HEADER = "Source\tTarget";
  public static final String EOL = "\r\n";
  /** File names of the LRA "basic" task. */
  public static final String TRAIN = "basic_train.tsv";
  public static final String VALID = "basic_val.tsv";
  public static final String TEST = "basic_test.tsv";

  public static void writeHeader(Writer w) throws IOException {
    w.write(HEADER);
    w.write(EOL);
  }

  public static void writeRow(Writer w, ListOpsExample e) throws IOException {
    w.write(e.lraSource());
    w.write('\t');
    w.write(Integer.toString(e.label()));
    w.write(EOL);
  }

  /** Writes a whole file atomically (a temporary file in the same folder, then a rename). */
  public static void write(Path file, Iterable<ListOpsExample> examples) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try (Writer w = newWriter(tmp)) {
        writeHeader(w);
        for (ListOpsExample e : examples) {
          writeRow(w, e);
        }
      }
      AtomicFiles.readableByAll(tmp);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static Writer newWriter(Path file) throws IOException {
    return new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.US_ASCII), 1 << 16);
  }

  /** Reads a whole file (no truncation), failing on the first malformed row. */
  public static List<ListOpsExample> read(Path file) throws IOException {
    List<ListOpsExample> out = new ArrayList<>();
    try (ClassificationReader r = ClassificationReader.listOps(file, Integer.MAX_VALUE, OnBadRow.FAIL)) {
      for (Example e = r.read(); e != null; e = r.read()) {
        byte[] ids = new byte[e.length()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = (byte) e.id(i);
        }
        out.add(new ListOpsExample(ids, e.label()));
      }
    }
    return out;
  }
}
