package io.longshort.export;

import io.longshort.data.TfExampleRows;
import io.longshort.io.TfRecords;
import io.longshort.data.CsvRows;
import io.longshort.data.ExampleList;
import io.longshort.data.JsonlRows;
import io.longshort.data.LabelNames;
import io.longshort.data.TextFileExamples;
import io.longshort.data.TextRows;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a JVM with a small heap by {@link StreamingReadTest}: collects the labels of a user's file
 * and reads its examples cut to 8 tokens, then prints "rows labels" (both passes stream the file).
 */
public final class StreamingRead {
  private StreamingRead() {}

  static TextRows open(String format, Path file) throws Exception {
    return switch (format) {
      case "jsonl" -> new JsonlRows(file, List.of("text"), "label");
      case "csv" -> new CsvRows(file, List.of("text"), "label");
      case "tfrecord" -> new TfExampleRows(file, List.of("text"), "label");
      default -> throw new IllegalArgumentException(format);
    };
  }

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[1]);
    LabelNames labels;
    try (TextRows rows = open(args[0], file)) {
      labels = LabelNames.collect(rows);
    }
    ExampleList examples;
    try (TextRows rows = open(args[0], file)) {
      examples = TextFileExamples.read(rows, labels, "label", TextFileExamples.Kind.TEXT, 8);
    }
    System.out.println(examples.size() + " " + labels.names() + " max heap " + Runtime.getRuntime().maxMemory());
  }
}
