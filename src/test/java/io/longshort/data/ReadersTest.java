package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadersTest {
  @TempDir
  Path dir;

  private Path write(String name, String content) throws Exception {
    Path f = dir.resolve(name);
    Files.write(f, content.getBytes(StandardCharsets.UTF_8));
    return f;
  }

  private static int[] bytesPlusOne(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = (b[i] & 0xFF) + 1;
    }
    return ids;
  }

  private static MalformedRowException failure(ThrowingRead read) {
    return assertThrows(MalformedRowException.class, read::run);
  }

  interface ThrowingRead {
    void run() throws Exception;
  }

  // ---- text classification

  @Test
  void textRowsAreByteEncodedPlusOneAndTruncated() throws Exception {
    Path f = write("imdb.tsv", "1\tGood film\n0\té\tb\r\n\n1\t\"say \"\"hi\"\"\"\n");
    try (ClassificationReader r = ClassificationReader.text(f, 5, 2, OnBadRow.FAIL)) {
      Example a = r.read();
      assertEquals(1, a.label());
      assertArrayEquals(bytesPlusOne("Good "), a.ids(), "truncated to 5 bytes");
      Example b = r.read();
      assertEquals(0, b.label());
      assertArrayEquals(bytesPlusOne("é\tb"), b.ids(), "é is two bytes; the text keeps its tab");
      assertEquals(0xC3 + 1, b.id(0));
      Example c = r.read();
      assertArrayEquals(bytesPlusOne("say \""), c.ids(), "csv quoting undone");
      assertEquals(null, r.read());
      assertEquals(3, r.rows());
    }
  }

  @Test
  void everyByteValueMapsTo1Through256() throws Exception {
    byte[] content = new byte[256 + 3];
    content[0] = '1';
    content[1] = '\t';
    int n = 2;
    for (int v = 0; v < 256; v++) {
      if (v != '\n' && v != '\r' && v != '\t') {
        content[n++] = (byte) v;
      }
    }
    content[n++] = '\n';
    Path f = dir.resolve("bytes.tsv");
    Files.write(f, java.util.Arrays.copyOf(content, n));
    try (ClassificationReader r = ClassificationReader.text(f, 4000, 2, OnBadRow.FAIL)) {
      int[] ids = r.read().ids();
      assertEquals(253, ids.length);
      assertEquals(1, ids[0], "byte 0 -> id 1");
      assertEquals(256, ids[ids.length - 1], "byte 255 -> id 256");
    }
  }

  @Test
  void headerDecidesTheColumnOrder() throws Exception {
    Path f = write("lra.tsv", "Source\tTarget\nhello\t1\nbye\t0\n");
    var all = ClassificationReader.text(f, 100, 2, OnBadRow.FAIL).readAll();
    assertEquals(2, all.size());
    assertArrayEquals(bytesPlusOne("hello"), all.get(0).ids());
    assertEquals(1, all.get(0).label());
    assertEquals(5, all.length(0));
  }

  @Test
  void malformedRowsNameFileLineAndProblem() throws Exception {
    Path missing = write("missing.tsv", "1\tok\n0 no tab here\n");
    MalformedRowException e = failure(() -> ClassificationReader.text(missing, 10, 2, OnBadRow.FAIL).readAll());
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("missing.tsv line 2: missing column"), e.getMessage());

    Path notInt = write("notint.tsv", "1\tok\n0\tok\nx1\ttext\n");
    e = failure(() -> ClassificationReader.text(notInt, 10, 2, OnBadRow.FAIL).readAll());
    assertTrue(e.getMessage().contains("notint.tsv line 3: label 'x1' is not an integer"), e.getMessage());

    Path range = write("range.tsv", "2\ttext\n");
    e = failure(() -> ClassificationReader.text(range, 10, 2, OnBadRow.FAIL).readAll());
    assertTrue(e.getMessage().contains("range.tsv line 1: label 2 is out of range: expected 0..1"), e.getMessage());
    assertEquals(range, e.file());

    Path negative = write("neg.tsv", "Source\tTarget\n[MAX 1 2 ]\t-1\n");
    e = failure(() -> ClassificationReader.listOps(negative, 2000, OnBadRow.FAIL).readAll());
    assertTrue(e.getMessage().contains("neg.tsv line 2: label -1 is out of range: expected 0..9"), e.getMessage());
  }

  @Test
  void iteratorFormWrapsTheCheckedError() throws Exception {
    Path f = write("bad.tsv", "1\tok\nbad\n");
    try (ClassificationReader r = ClassificationReader.text(f, 10, 2, OnBadRow.FAIL)) {
      assertTrue(r.hasNext());
      r.next();
      UncheckedIOException e = assertThrows(UncheckedIOException.class, r::hasNext);
      assertTrue(e.getCause() instanceof MalformedRowException);
      assertTrue(e.getMessage().contains("bad.tsv line 2"), e.getMessage());
    }
  }

  @Test
  void skipModeCountsAndKeepsMessages() throws Exception {
    Path f = write("mixed.tsv", "1\tok\nnope\n7\tout of range\n0\tfine\nzz\tnot a number\n");
    try (ClassificationReader r = ClassificationReader.text(f, 10, 2, OnBadRow.SKIP)) {
      ExampleList all = r.readAll();
      assertEquals(2, all.size());
      assertEquals(3, r.skippedRows());
      assertEquals(3, r.skipMessages().size());
      assertTrue(r.skipMessages().get(1).contains("mixed.tsv line 3: label 7 is out of range"), r.skipMessages().get(1));
    }
  }

  // ---- ListOps files

  @Test
  void listOpsRowsAreTokenisedAndUnknownTokensRejected() throws Exception {
    Path f = write("basic_val.tsv", "Source\tTarget\r\n( ( ( [MAX 2 ) 9 ) ] )\t9\r\n( ( [MIN 3 ) ] )\t3\r\n"
        + "( ( ( [FIRST 2 ) 9 ) ] )\t2\r\n");
    try (ClassificationReader r = ClassificationReader.listOps(f, 3, OnBadRow.FAIL)) {
      Example e = r.read();
      assertArrayEquals(new int[] {ListOpsVocab.MAX, 3, 10}, e.ids(), "truncated to 3 tokens");
      assertEquals(9, e.label());
      r.read();
      MalformedRowException bad = assertThrows(MalformedRowException.class, r::read);
      assertTrue(bad.getMessage().contains("basic_val.tsv line 4: unknown ListOps token '[FIRST'"), bad.getMessage());
    }
  }

  @Test
  void listOpsRowsThatAreNotListOpsAreRefusedByName() throws Exception {
    Path f = write("bad_listops.tsv", "Source\tTarget\n[MAX 2 9 ]\t9\n[MAX 2\t9 ]\t9\n[MAX 2 [MIN 3 ]\t3\n"
        + "[MAX 2 ] ]\t2\n");
    try (ClassificationReader r = ClassificationReader.listOps(f, 2000, OnBadRow.SKIP)) {
      assertEquals(1, r.readAll().size());
      assertEquals(List.of(
          f + " line 3: expected 2 tab-separated columns (text, label), found 3",
          f + " line 4: not one ListOps expression: 1 operator(s) not closed by ']'",
          f + " line 5: not one ListOps expression: ']' at token 4 closes no operator"),
          r.skipMessages().stream().map(m -> m.substring(m.indexOf(f.toString()))).toList());
    }
  }

  @Test
  void listOpsWithoutHeaderIsSourceThenTarget() throws Exception {
    Path f = write("noheader.tsv", "[SM 5 7 ]\t2\n");
    ExampleList all = ClassificationReader.listOps(f, 2000, OnBadRow.FAIL).readAll();
    assertEquals(1, all.size());
    assertEquals(2, all.get(0).label());
    assertEquals(4, all.length(0));
  }

  // ---- retrieval (AAN)

  @Test
  void retrievalPairsCutAndTruncateEachText() throws Exception {
    Path f = write("aan.tsv", "1\tp1\tp2\tabcdef\txyz\n0.0\tp3\tp4\tééé\tq\n");
    try (RetrievalReader r = RetrievalReader.open(f, 2, 4, OnBadRow.FAIL)) {
      Example a = r.read();
      assertTrue(a.isPair());
      assertEquals(1, a.label());
      assertArrayEquals(bytesPlusOne("ab"), a.ids(), "cut to 2 characters");
      assertArrayEquals(bytesPlusOne("xy"), a.ids1());
      Example b = r.read();
      assertEquals(0, b.label(), "0.0 is label 0");
      assertArrayEquals(bytesPlusOne("éé"), b.ids(), "2 characters = 4 bytes, then max length 4");
      assertEquals(4, b.length());
    }
    try (RetrievalReader r = RetrievalReader.open(f, 3, OnBadRow.FAIL)) {
      assertArrayEquals(bytesPlusOne("abc"), r.read().ids(), "10,000 characters, then 3 bytes");
    }
  }

  @Test
  void retrievalMalformedRows() throws Exception {
    Path cols = write("cols.tsv", "1\tp1\tp2\ttext only\n");
    MalformedRowException e = failure(() -> RetrievalReader.open(cols, 10, OnBadRow.FAIL).readAll());
    assertTrue(e.getMessage().contains("cols.tsv line 1: missing column: expected 5 tab-separated columns"), e.getMessage());
    assertTrue(e.getMessage().contains("found 4"), e.getMessage());

    Path label = write("label.tsv", "1\ta\tb\tx\ty\n0.5\ta\tb\tx\ty\n");
    e = failure(() -> RetrievalReader.open(label, 10, OnBadRow.FAIL).readAll());
    assertTrue(e.getMessage().contains("label.tsv line 2: label '0.5' is not an integer"), e.getMessage());

    Path range = write("range.tsv", "3\ta\tb\tx\ty\n1\ta\tb\tx\ty\n");
    try (RetrievalReader r = RetrievalReader.open(range, 10, OnBadRow.SKIP)) {
      assertEquals(1, r.readAll().size());
      assertEquals(1, r.skippedRows());
      assertTrue(r.skipMessages().get(0).contains("line 1: label 3 is out of range"), r.skipMessages().get(0));
    }
  }

  @Test
  void missingFileIsNamed() {
    Path nowhere = dir.resolve("nowhere.tsv");
    Exception e = assertThrows(java.io.FileNotFoundException.class,
        () -> ClassificationReader.text(nowhere, 10, 2, OnBadRow.FAIL));
    assertTrue(e.getMessage().contains("nowhere.tsv"));
  }

  // ---- byte corpora

  @Test
  void corpusSplitsByTheGivenSizesOrTheirProportions() throws Exception {
    byte[] data = new byte[1000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7);
    }
    Path f = dir.resolve("enwik_tiny");
    Files.write(f, data);
    try (ByteCorpus c = ByteCorpus.open(f)) {
      // 1000 < 100M: 90% / 5% / 5%
      assertEquals(new ByteCorpus.Range(0, 900), c.range(ByteCorpus.Split.TRAIN));
      assertEquals(new ByteCorpus.Range(900, 50), c.range(ByteCorpus.Split.VALID));
      assertEquals(new ByteCorpus.Range(950, 50), c.range(ByteCorpus.Split.TEST));
    }
    try (ByteCorpus c = ByteCorpus.open(f, 600, 100, 200)) {
      // 1000 >= 900: first 600, next 100, last 200
      assertEquals(new ByteCorpus.Range(0, 600), c.range(ByteCorpus.Split.TRAIN));
      assertEquals(new ByteCorpus.Range(600, 100), c.range(ByteCorpus.Split.VALID));
      assertEquals(new ByteCorpus.Range(800, 200), c.range(ByteCorpus.Split.TEST));
      ByteCorpus.Windows w = c.windows(ByteCorpus.Split.VALID, 16);
      assertEquals(6, w.size(), "(100 - 17) / 16 + 1 whole windows of 16 inputs + 1 target");
      Example e = w.get(2);
      assertEquals(17, e.length());
      for (int t = 0; t < 17; t++) {
        assertEquals(data[600 + 32 + t] & 0xFF, e.id(t), "ids are raw bytes");
      }
      assertEquals(84, c.windows(ByteCorpus.Split.VALID, 16, 1).size(), "stride 1: offsets 0..83");
    }
  }
}
