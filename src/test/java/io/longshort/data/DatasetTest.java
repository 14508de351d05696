package io.longshort.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Datasets read as a model reads them: a user's JSONL file with label names, and examples made in Java. */
class DatasetTest {
  @TempDir
  Path dir;

  static final Dataset.Reading TEXT = new Dataset.Reading(BatchKind.CLASSIFICATION, TextFileExamples.Kind.TEXT, 4,
      null);

  @Test
  void aUsersJsonlBecomesByteBatchesWithItsLabelNames() throws Exception {
    Path train = dir.resolve("train.jsonl");
    Files.writeString(train, "{\"text\": \"ab\", \"label\": \"pos\"}\n{\"text\": \"cdefg\", \"label\": \"neg\"}\n"
        + "{\"text\": \"h\", \"label\": \"pos\"}\n");
    Dataset.Examples t = Dataset.jsonl(train, "text", "label").read(TEXT);
    assertEquals(List.of("neg", "pos"), t.labels().names(), "LabelNames.collect's order: sorted");
    assertEquals("label", t.labelField());
    assertEquals(3, t.size());
    Batch b = t.evaluation(2).batch(0); // in order: rows 0 and 1
    // byte ids are byte + 1, cut to N = 4, 0 pads
    assertArrayEquals(new int[] {'a' + 1, 'b' + 1, 0, 0, 'c' + 1, 'd' + 1, 'e' + 1, 'f' + 1},
        b.get("input_ids").ints());
    assertArrayEquals(new int[] {1, 1, 0, 0, 1, 1, 1, 1}, b.get("mask").ints());
    assertArrayEquals(new int[] {1, 0}, b.get(Batch.LABELS).ints());
    assertEquals(1, t.evaluation(2).batch(1).realRows(), "the last batch is padded; one real row");

    // a validation file reads with the training file's names; a label training never saw is refused
    Path valid = dir.resolve("valid.jsonl");
    Files.writeString(valid, "{\"text\": \"x\", \"label\": \"pos\"}\n{\"text\": \"y\", \"label\": \"meh\"}\n");
    Exception e = assertThrows(Exception.class,
        () -> Dataset.jsonl(valid, "text", "label").read(TEXT.withLabels(t.labels())));
    assertTrue(e.getMessage().contains("field 'label': label 'meh' is not one of the training labels [neg, pos]"),
        e.getMessage());
  }

  @Test
  void badArgumentsNameTheOptionAndTheValue() throws Exception {
    assertEquals("Dataset.jsonl (" + dir.resolve("none.jsonl") + "): no such file",
        assertThrows(IllegalArgumentException.class, () -> Dataset.jsonl(dir.resolve("none.jsonl"), "text", "label"))
            .getMessage());
    Path f = dir.resolve("pairs.jsonl");
    Files.writeString(f, "{\"text\": \"ab\", \"label\": \"1\"}\n");
    Dataset.Reading pairs = new Dataset.Reading(BatchKind.RETRIEVAL, TextFileExamples.Kind.PAIR, 4, null);
    assertEquals("Dataset.jsonl (" + f + "): textField (text) names 1 field(s); this model reads 2",
        assertThrows(IllegalArgumentException.class, () -> Dataset.jsonl(f, "text", "label").read(pairs))
            .getMessage());
    assertEquals("Dataset.of: the list of examples is empty",
        assertThrows(IllegalArgumentException.class, () -> Dataset.of(List.of())).getMessage());
    Dataset.Examples two = Dataset.of(List.of(Example.text(new byte[] {1}, 0), Example.text(new byte[] {2}, 1)))
        .read(TEXT);
    assertEquals("the training data has 2 examples, fewer than a batch (3); give more data or a smaller batch size",
        assertThrows(IllegalArgumentException.class, () -> two.training(3, 0)).getMessage());
  }
}
