package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.ListOpsEvaluator;
import io.longshort.data.ListOpsExample;
import io.longshort.data.ListOpsTsv;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateListOpsCommandTest {
  @TempDir
  Path dir;

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void writesTheThreeSplitsAndPrintsCountsAndHistograms() throws Exception {
    Path out = dir.resolve("listops");
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    assertEquals(0, run(o, e, "generate-listops", "--out", out.toString(), "--train", "40", "--valid", "7",
        "--test", "5", "--min-length", "10", "--max-length", "80", "--seed", "3"), e.toString());
    String text = o.toString();
    assertTrue(text.contains("basic_train.tsv: 40 expressions; labels 0:"), text);
    assertTrue(text.contains("basic_val.tsv: 7 expressions"), text);
    assertTrue(text.contains("basic_test.tsv: 5 expressions"), text);
    int[] sizes = {40, 7, 5};
    String[] names = {ListOpsTsv.TRAIN, ListOpsTsv.VALID, ListOpsTsv.TEST};
    for (int s = 0; s < 3; s++) {
      List<ListOpsExample> rows = ListOpsTsv.read(out.resolve(names[s]));
      assertEquals(sizes[s], rows.size());
      for (ListOpsExample x : rows) {
        assertEquals(ListOpsEvaluator.evaluate(x.ids()), x.label());
        assertTrue(x.length() > 10 && x.length() < 80);
      }
    }
    try (var files = Files.list(out)) {
      // the three splits, what they are (generate-listops's, for --overwrite) and the folder's lock: no temporary file
      assertEquals(List.of(".longshort-owned.json", ".longshort.lock", ListOpsTsv.TEST, ListOpsTsv.TRAIN, ListOpsTsv.VALID),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void helpExplainsEveryOption() {
    StringWriter o = new StringWriter();
    assertEquals(0, run(o, new StringWriter(), "generate-listops", "--help"));
    for (String option : List.of("--out", "--train", "--valid", "--test", "--min-length", "--max-length", "--seed")) {
      assertTrue(o.toString().contains(option), option + " in\n" + o);
    }
    assertTrue(o.toString().contains("96000"), o.toString());
  }

  @Test
  void badBoundsAreOneClearLine() {
    StringWriter e = new StringWriter();
    assertEquals(2, run(new StringWriter(), e, "generate-listops", "--out", dir.toString(), "--min-length", "100",
        "--max-length", "50"));
    assertTrue(e.toString().startsWith("error: --max-length (50) must be > --min-length + 1"), e.toString());
  }

  @Test
  void existingFilesNeedOverwriteAndNotEnoughExpressionsIsOneLine() throws Exception {
    Path out = Files.createDirectories(dir.resolve("lra"));
    Files.writeString(out.resolve(ListOpsTsv.TRAIN), "LRA's real file\n");
    StringWriter e = new StringWriter();
    assertEquals(2, run(new StringWriter(), e, "generate-listops", "--out", out.toString(), "--train", "20"));
    assertEquals("error: " + out.resolve(ListOpsTsv.TRAIN) + " exists; choose another folder, or replace the split"
        + " files with --overwrite (only files generate-listops wrote are replaced)\n", e.toString());
    e = new StringWriter();
    assertEquals(2, run(new StringWriter(), e, "generate-listops", "--out", out.toString(), "--train", "20",
        "--overwrite"));
    assertTrue(e.toString().startsWith("error: " + out.resolve(ListOpsTsv.TRAIN) + " was not written by"
        + " generate-listops"), e.toString());
    assertEquals("LRA's real file\n", Files.readString(out.resolve(ListOpsTsv.TRAIN)));
    e = new StringWriter();
    assertEquals(2, run(new StringWriter(), e, "generate-listops", "--out", dir.resolve("x").toString(), "--train",
        "10", "--min-length", "0", "--max-length", "3"));
    assertTrue(e.toString().startsWith("error: only 10 distinct ListOps expressions have more than 0 and fewer than"
        + " 3 tokens"), e.toString());
    assertEquals(1, e.toString().lines().count());
  }
}
