package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListOpsTest {
  @TempDir
  Path dir;

  private static List<ListOpsExample> take(ListOpsGenerator g, int n) {
    List<ListOpsExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(g.next());
    }
    return out;
  }

  // ---- evaluator semantics on hand-written expressions

  @Test
  void operatorSemantics() {
    assertEquals(2, ListOpsEvaluator.evaluate("[MIN 4 2 7 ]"));
    assertEquals(7, ListOpsEvaluator.evaluate("[MAX 4 2 7 ]"));
    assertEquals(4, ListOpsEvaluator.evaluate("[MED 4 2 7 ]"));
    assertEquals(3, ListOpsEvaluator.evaluate("[SM 4 2 7 ]"), "13 mod 10");
    assertEquals(0, ListOpsEvaluator.evaluate("[SM 5 5 ]"));
    assertEquals(7, ListOpsEvaluator.evaluate("[SM 9 9 9 ]"), "27 mod 10");
  }

  @Test
  void medianOfAnEvenCountIsTheTruncatedMeanOfTheMiddleTwo() {
    assertEquals(1, ListOpsEvaluator.evaluate("[MED 1 2 ]"), "1.5 -> 1");
    assertEquals(4, ListOpsEvaluator.evaluate("[MED 0 9 ]"), "4.5 -> 4");
    assertEquals(5, ListOpsEvaluator.evaluate("[MED 9 3 6 4 ]"), "sorted 3 4 6 9: (4 + 6) / 2");
    assertEquals(6, ListOpsEvaluator.evaluate("[MED 9 3 7 6 ]"), "sorted 3 6 7 9: 6.5 -> 6");
    assertEquals(8, ListOpsEvaluator.evaluate("[MED 8 8 ]"));
  }

  @Test
  void nestedExpressionsAndBothForms() {
    // [MAX 2 9 [MIN 4 7 ] 0 ] = max(2, 9, 4, 0)
    assertEquals(9, ListOpsEvaluator.evaluate("[MAX 2 9 [MIN 4 7 ] 0 ]"));
    assertEquals(4, ListOpsEvaluator.evaluate("[MIN 5 [MAX 1 4 ] [SM 6 8 ] ]"), "min(5, 4, 4)");
    assertEquals(5, ListOpsEvaluator.evaluate("[MED [SM 9 9 ] [MIN 3 1 ] 5 ]"), "med(8, 1, 5): sorted 1 5 8");
  }

  @Test
  void evaluatorRejectsMalformedExpressions() {
    assertThrows(IllegalArgumentException.class, () -> ListOpsEvaluator.evaluate("[MAX 2 9"));
    assertThrows(IllegalArgumentException.class, () -> ListOpsEvaluator.evaluate("[MAX 2 ] ]"));
    assertThrows(IllegalArgumentException.class, () -> ListOpsEvaluator.evaluate("[MAX ]"));
    assertThrows(IllegalArgumentException.class, () -> ListOpsEvaluator.evaluate("[MAX 2 ] 3"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ListOpsEvaluator.evaluate("[MAX 2 [FIRST 3 ] ]"));
    assertTrue(e.getMessage().contains("[FIRST"), e.getMessage());
  }

  // ---- vocabulary

  @Test
  void vocabularyFitsTheShippedConfigAndNeverUsesTheClsId() throws Exception {
    ModelSpec spec = ModelConfigs.load("lra_listops");
    assertEquals(spec.vocabSize(), ListOpsVocab.VOCAB_SIZE);
    assertEquals(spec.vocabSize() - 1, ListOpsVocab.CLS);
    byte[] ids = ListOpsVocab.encode("[MIN 0 1 2 3 4 5 6 7 8 9 ] [MAX [MED [SM ]");
    assertArrayEquals(new byte[] {11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 12, 13, 14, 15}, ids);
    for (ListOpsExample e : take(new ListOpsGenerator(3, 20, 200), 200)) {
      for (byte id : e.ids()) {
        assertTrue(id >= 1 && id <= 15, "token id " + id);
      }
    }
  }

  @Test
  void tokenizerReadsTheLraFormAndClosingBracketsAsTheirOwnSymbol() {
    String lra = "( ( ( [MAX 2 ) 9 ) ] )";
    assertArrayEquals(ListOpsVocab.encode("[MAX 2 9 ]"), ListOpsVocab.encode(lra));
    assertArrayEquals(ListOpsVocab.encode("[MAX 2 9 ]"), ListOpsVocab.encode("[MAX 2 9]"));
    assertEquals(lra, ListOpsVocab.toLraSource(ListOpsVocab.encode("[MAX 2 9 ]")));
    assertEquals("( ( ( [MAX 2 ) ( ( ( [MIN 4 ) 7 ) ] ) ) ] )",
        ListOpsVocab.toLraSource(ListOpsVocab.encode("[MAX 2 [MIN 4 7 ] ]")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListOpsVocab.encode("[MAX 2 X ]"));
    assertTrue(e.getMessage().contains("'X'"), e.getMessage());
    // two roots would be written as one token ("7 0" as "70"): refused (a fuzzing finding)
    assertEquals("token 2 starts a second expression; a ListOps example is one expression (one digit or one"
        + " operator with its arguments)", assertThrows(IllegalArgumentException.class,
            () -> ListOpsVocab.toLraSource(ListOpsVocab.encode("7 0"))).getMessage());
  }

  // ---- generator

  @Test
  void sameSeedSameExpressionsOtherSeedOthers() {
    List<ListOpsExample> a = take(new ListOpsGenerator(42, 50, 300), 300);
    List<ListOpsExample> b = take(new ListOpsGenerator(42, 50, 300), 300);
    List<ListOpsExample> c = take(new ListOpsGenerator(43, 50, 300), 300);
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void everyLabelIsTheEvaluatorsValueAndLengthsAreStrictlyInside() {
    for (ListOpsExample e : take(new ListOpsGenerator(7, 30, 120), 2000)) {
      assertEquals(ListOpsEvaluator.evaluate(e.ids()), e.label(), e.text());
      assertEquals(ListOpsEvaluator.evaluate(e.lraSource()), e.label());
      assertTrue(e.length() > 30 && e.length() < 120, "length " + e.length());
    }
  }

  @Test
  void defaultLengthsTreeShapeAndLabels() {
    int[] hist = new int[10];
    ListOpsGenerator g = new ListOpsGenerator(0);
    for (ListOpsExample e : take(g, 300)) {
      assertTrue(e.length() > 500 && e.length() < 2000, "length " + e.length());
      assertEquals(ListOpsEvaluator.evaluate(e.ids()), e.label());
      hist[e.label()]++;
      int[] args = ListOpsVocab.argumentCounts(e.ids());
      int depth = 0;
      int maxDepth = 0;
      for (int i = 0; i < e.length(); i++) {
        int id = e.ids()[i];
        if (ListOpsVocab.isOperator(id)) {
          assertTrue(args[i] >= 2 && args[i] <= 10, "arguments " + args[i]);
          depth++;
        } else if (id == ListOpsVocab.END) {
          depth--;
        } else {
          maxDepth = Math.max(maxDepth, depth + 1); // a digit's depth: enclosing operators + 1
        }
      }
      assertTrue(maxDepth <= 10, "digit at depth " + maxDepth);
      assertTrue(ListOpsVocab.isOperator(e.ids()[0]) && e.ids()[e.length() - 1] == ListOpsVocab.END);
    }
    for (int l = 0; l < 10; l++) {
      assertTrue(hist[l] > 0, "label " + l + " never drawn in 300");
    }
    assertTrue(g.tried() > 300);
  }

  @Test
  void duplicatesAreDropped() {
    // 3 < tokens < 5: only [OP d d ] (4 tokens), 4 x 100 = 400 distinct expressions
    ListOpsGenerator g = new ListOpsGenerator(1, 3, 5);
    List<ListOpsExample> all = take(g, 350);
    Set<String> texts = new HashSet<>();
    for (ListOpsExample e : all) {
      assertEquals(4, e.length());
      assertTrue(texts.add(e.text()), "duplicate " + e.text());
    }
    assertTrue(g.duplicates() > 0, "350 of 400 must have drawn some duplicates");
  }

  @Test
  void rejectsImpossibleLengthBounds() {
    assertThrows(IllegalArgumentException.class, () -> new ListOpsGenerator(0, 10, 11));
    assertThrows(IllegalArgumentException.class, () -> new ListOpsGenerator(0, -1, 11));
  }

  // ---- TSV

  @Test
  void tsvRoundTripInTheLraForm() throws Exception {
    List<ListOpsExample> data = take(new ListOpsGenerator(5, 20, 100), 100);
    Path file = dir.resolve("basic_train.tsv");
    ListOpsTsv.write(file, data);
    String text = Files.readString(file);
    assertTrue(text.startsWith("Source\tTarget\r\n"), text.substring(0, 20));
    String firstRow = text.split("\r\n")[1];
    assertEquals(data.get(0).lraSource() + "\t" + data.get(0).label(), firstRow);
    assertTrue(firstRow.startsWith("( ( "), firstRow);
    assertEquals(data, ListOpsTsv.read(file));
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "no temporary file left");
    }
  }

  @Test
  void splitsAreDisjointDeterministicAndCounted() throws Exception {
    ListOpsSplits.Result r = ListOpsSplits.generate(dir.resolve("a"), 60, 10, 10, 10, 60, 9);
    ListOpsSplits.generate(dir.resolve("b"), 60, 10, 10, 10, 60, 9);
    Set<ListOpsExample> all = new HashSet<>();
    int rows = 0;
    for (String name : List.of(ListOpsTsv.TRAIN, ListOpsTsv.VALID, ListOpsTsv.TEST)) {
      assertEquals(Files.readString(dir.resolve("a").resolve(name)), Files.readString(dir.resolve("b").resolve(name)));
      List<ListOpsExample> split = ListOpsTsv.read(dir.resolve("a").resolve(name));
      rows += split.size();
      all.addAll(split);
    }
    assertEquals(80, rows);
    assertEquals(80, all.size(), "no expression in two splits");
    assertEquals(60, java.util.Arrays.stream(r.splits().get(0).labelCounts()).sum());
  }

  @Test
  void aRequestForMoreThanTheRangeHoldsIsRefusedBeforeAnythingIsWritten() {
    long t0 = System.nanoTime();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ListOpsSplits.generate(dir.resolve("few"), 100_000, 2000, 2000, 4, 6, 0));
    assertEquals("only 4,000 distinct ListOps expressions have more than 4 and fewer than 6 tokens (depth <= 10,"
        + " 2..10 arguments per operator); the splits ask for 104,000 (train 100,000, valid 2,000, test 2,000):"
        + " widen the length range or ask for fewer", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ListOpsSplits.generate(dir.resolve("few"), 10, 2000, 2000, 0, 3, 0));
    assertTrue((System.nanoTime() - t0) / 1e6 < 1000, "refused at once");
    assertFalse(Files.exists(dir.resolve("few")));
    // exactly as many as there are: generated (every one of the 400, none twice)
    assertEquals(400, Assertions.assertDoesNotThrow(() -> ListOpsSplits.generate(dir.resolve("all"), 300, 50, 50, 3, 5, 0))
        .splits().stream().mapToInt(ListOpsSplits.SplitStats::rows).sum());
  }

  @Test
  void existingSplitFilesAreReplacedOnlyWhenOursAndWithOverwrite() throws Exception {
    Path d = dir.resolve("data");
    Files.createDirectories(d);
    Files.writeString(d.resolve("README"), "the user's");
    ListOpsSplits.generate(d, 20, 5, 5, 10, 60, 1);
    String train = Files.readString(d.resolve(ListOpsTsv.TRAIN));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ListOpsSplits.generate(d, 20, 5, 5, 10, 60, 2));
    assertEquals(d.resolve(ListOpsTsv.TRAIN) + " exists; choose another folder, or replace the split files with"
        + " --overwrite (only files generate-listops wrote are replaced)", e.getMessage());
    assertEquals(train, Files.readString(d.resolve(ListOpsTsv.TRAIN)));
    // a killed generator's temporary file (the names AtomicFiles gives) is removed under the folder's lock
    Path leftover = Files.writeString(d.resolve("." + ListOpsTsv.VALID + "123456.tmp"), "half a row");
    ListOpsSplits.Result r = ListOpsSplits.generate(d, 20, 5, 5, 10, 60, 2, true);
    assertEquals(List.of(leftover), r.removedLeftovers());
    assertNotEquals(train, Files.readString(d.resolve(ListOpsTsv.TRAIN)));
    assertEquals("the user's", Files.readString(d.resolve("README")));
    // LRA's own file put in place of ours is the user's: refused by name, even with --overwrite
    Files.writeString(d.resolve(ListOpsTsv.TEST), "Source\tTarget\n");
    e = assertThrows(IllegalArgumentException.class, () -> ListOpsSplits.generate(d, 20, 5, 5, 10, 60, 3, true));
    assertTrue(e.getMessage().startsWith(d.resolve(ListOpsTsv.TEST) + " was changed since generate-listops wrote it"),
        e.getMessage());
    assertEquals("Source\tTarget\n", Files.readString(d.resolve(ListOpsTsv.TEST)));
    try (var files = Files.list(d)) {
      assertEquals(List.of(".longshort-owned.json", ".longshort.lock", "README", ListOpsTsv.TEST, ListOpsTsv.TRAIN,
          ListOpsTsv.VALID), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
