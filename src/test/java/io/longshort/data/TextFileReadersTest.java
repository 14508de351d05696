package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users' JSONL and CSV/TSV files: rows, labels, and bad rows named by file, line and field. */
class TextFileReadersTest {
  private static final List<String> TEXT = List.of("text");

  private static List<TextRow> all(TextRows rows) throws IOException {
    try (rows) {
      List<TextRow> out = new java.util.ArrayList<>();
      for (TextRow r = rows.next(); r != null; r = rows.next()) {
        out.add(r);
      }
      return out;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void jsonlRowsAndLabels(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("train.jsonl");
    Files.writeString(f, "{\"text\": \"good film\", \"label\": \"pos\"}\n\n"
        + "{\"label\": \"neg\", \"text\": \"bad \\u00e9\\ud83d\\ude00\", \"extra\": [1]}\r\n"
        + "{\"text\": \"\", \"label\": \"pos\"}\n");
    List<TextRow> rows = all(new JsonlRows(f, TEXT, "label"));
    assertEquals(3, rows.size());
    assertEquals(1, rows.get(0).number());
    assertEquals(3, rows.get(1).number()); // the blank line is skipped, not renumbered
    assertArrayEquals(utf8("bad \u00e9\uD83D\uDE00"), rows.get(1).texts().get(0));
    assertArrayEquals(new byte[0], rows.get(2).texts().get(0));
    LabelNames labels = LabelNames.collect(new JsonlRows(f, TEXT, "label"));
    assertEquals(List.of("neg", "pos"), labels.names());
    ExampleList ex = TextFileExamples.read(new JsonlRows(f, TEXT, "label"), labels, "label",
        TextFileExamples.Kind.TEXT, 4);
    assertEquals(3, ex.size());
    assertEquals(1, ex.get(0).label());
    assertArrayEquals(new int[] {'g' + 1, 'o' + 1, 'o' + 1, 'd' + 1}, ex.get(0).ids()); // cut to N = 4
    assertEquals(0, ex.get(1).label());
  }

  @Test
  void integerLabelsSortNumerically(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("t.jsonl");
    Files.writeString(f, "{\"text\": \"a\", \"label\": 10}\n{\"text\": \"b\", \"label\": 2}\n{\"text\": \"c\", \"label\": \"-1\"}\n");
    assertEquals(List.of("-1", "2", "10"), LabelNames.collect(new JsonlRows(f, TEXT, "label")).names());
  }

  @Test
  void badJsonlRowsNameFileLineAndField(@TempDir Path dir) throws Exception {
    assertBad(dir, "{\"text\": \"a\", \"label\": \"x\"}\n{\"txt\": \"a\", \"label\": \"x\"}\n", 2, "missing field 'text'");
    assertBad(dir, "{\"text\": 5, \"label\": \"x\"}\n", 1, "field 'text' is a number");
    assertBad(dir, "{\"text\": \"a\", \"label\": [\"x\"]}\n", 1, "field 'label' is an array");
    assertBad(dir, "{\"text\": \"a\", \"label\": null}\n", 1, "missing field 'label' (null)");
    assertBad(dir, "{\"text\": \"a\", \"label\": \"x\"}\n\n{\"text\": \"a\", \"label\": \n", 3, "broken JSON");
    assertBad(dir, "[1, 2]\n", 1, "expected a JSON object, got array");
  }

  private static void assertBad(Path dir, String content, long line, String problem) throws IOException {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, content);
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> all(new JsonlRows(f, TEXT, "label")));
    assertEquals(f, e.file());
    assertEquals(line, e.line(), e.getMessage());
    org.junit.jupiter.api.Assertions.assertTrue(e.problem().startsWith(problem), e.getMessage());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith(f + " line " + line + ": "), e.getMessage());
  }

  @Test
  void validationLabelTrainingNeverSawIsRefusedWithItsRow(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("valid.jsonl");
    Files.writeString(f, "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"meh\"}\n");
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> TextFileExamples.read(
        new JsonlRows(f, TEXT, "label"), new LabelNames(List.of("neg", "pos")), "label", TextFileExamples.Kind.TEXT, 8));
    assertEquals(f + " line 2: field 'label': label 'meh' is not one of the training labels [neg, pos]", e.getMessage());
  }

  @Test
  void csvWithHeaderQuotesAndMultiLineFields(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("train.csv");
    Files.writeString(f, "id,label,text\n1,pos,\"a, \"\"quoted\"\" one\"\n2,neg,\"two\nlines\"\n3,pos,plain\n");
    List<TextRow> rows = all(new CsvRows(f, TEXT, "label"));
    assertEquals(3, rows.size());
    assertArrayEquals(utf8("a, \"quoted\" one"), rows.get(0).texts().get(0));
    assertArrayEquals(utf8("two\nlines"), rows.get(1).texts().get(0));
    assertEquals("neg", rows.get(1).label());
    assertEquals(List.of(2L, 3L, 5L), rows.stream().map(TextRow::number).toList());
  }

  @Test
  void tsvPairs(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("pairs.tsv");
    Files.writeString(f, "label\tdoc1\tdoc2\n1\tfirst, with comma\tsecond\n0\tx\ty\n");
    List<TextRow> rows = all(new CsvRows(f, List.of("doc1", "doc2"), "label"));
    assertArrayEquals(utf8("first, with comma"), rows.get(0).texts().get(0));
    assertArrayEquals(utf8("second"), rows.get(0).texts().get(1));
    LabelNames labels = LabelNames.collect(new CsvRows(f, List.of("doc1", "doc2"), "label"));
    ExampleList ex = TextFileExamples.read(new CsvRows(f, List.of("doc1", "doc2"), "label"), labels, "label",
        TextFileExamples.Kind.PAIR, 100);
    assertEquals(1, ex.get(0).label());
    assertEquals(6, ex.get(0).length1());
  }

  @Test
  void badCsvRows(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.csv");
    Files.writeString(f, "text,label\na,x\n");
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> new CsvRows(f, TEXT, "class"));
    assertEquals(f + " line 1: missing field 'class': the header names [text, label]", e.getMessage());
    Files.writeString(f, "text,label\na,x\nb\n");
    e = assertThrows(MalformedRowException.class, () -> all(new CsvRows(f, TEXT, "label")));
    assertEquals(3, e.line(), e.getMessage());
    org.junit.jupiter.api.Assertions.assertTrue(e.problem().contains("'label'"), e.getMessage());
    Files.writeString(f, "text,label\na,x\nb,\n");
    e = assertThrows(MalformedRowException.class, () -> all(new CsvRows(f, TEXT, "label")));
    assertEquals(f + " line 3: field 'label' is empty; every row needs a label", e.getMessage());
    Files.writeString(f, "text,label\na,x\nb,y,z\n");
    e = assertThrows(MalformedRowException.class, () -> all(new CsvRows(f, TEXT, "label")));
    assertEquals(3, e.line(), e.getMessage());
  }

  @Test
  void listOpsRowsUseTheListOpsTokenizer(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("l.jsonl");
    Files.writeString(f, "{\"source\": \"( ( [MAX 2 ) 9 ) ]\", \"target\": 9}\n{\"source\": \"[MIN 1 x ]\", \"target\": 1}\n");
    LabelNames labels = new LabelNames(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> TextFileExamples.read(
        new JsonlRows(f, List.of("source"), "target"), labels, "target", TextFileExamples.Kind.LISTOPS, 10));
    assertEquals(f + " line 2: unknown ListOps token 'x' at character 8", e.getMessage());
    Files.writeString(f, "{\"source\": \"( ( [MAX 2 ) 9 ) ]\", \"target\": 9}\n");
    ExampleList ex = TextFileExamples.read(new JsonlRows(f, List.of("source"), "target"), labels, "target",
        TextFileExamples.Kind.LISTOPS, 10);
    assertArrayEquals(ListOpsTokenizer.INSTANCE.encode(utf8("[MAX 2 9 ]"), 4).ids(), ex.get(0).ids());
    assertEquals(9, ex.get(0).label());
  }
}
