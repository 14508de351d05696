package io.longshort.cli;

import io.longshort.data.BatchKind;
import io.longshort.data.BatchSource;
import io.longshort.data.Batcher;
import io.longshort.data.ByteCorpus;
import io.longshort.data.ClassificationReader;
import io.longshort.data.CsvRows;
import io.longshort.data.ExampleSource;
import io.longshort.data.JsonlRows;
import io.longshort.data.LabelNames;
import io.longshort.data.ListOpsVocab;
import io.longshort.data.OnBadRow;
import io.longshort.data.RetrievalReader;
import io.longshort.data.RowReader;
import io.longshort.data.TextFileExamples;
import io.longshort.data.TextRows;
import io.longshort.data.TfExampleRows;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Examples and batches for a model's task, shared by train and eval. */
final class DataSources {
  private DataSources() {}

  /** The rows of one LRA TSV file (ListOps, text or retrieval) for this model. */
  static ExampleSource tsv(ModelSpec spec, Path file, boolean listOps, int length, boolean skipBadRows,
      PrintWriter o) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("data file " + file + " does not exist");
    }
    OnBadRow onBad = skipBadRows ? OnBadRow.SKIP : OnBadRow.FAIL;
    RowReader reader = spec.task() == Task.RETRIEVAL ? RetrievalReader.open(file, length, onBad)
        : listOps ? ClassificationReader.listOps(file, length, onBad)
        : ClassificationReader.text(file, length, spec.classes(), onBad);
    try (reader) {
      var list = reader.readAll();
      if (reader.skippedRows() > 0) {
        o.printf("%s: skipped %,d malformed rows (first: %s)%n", reader.file(), reader.skippedRows(),
            reader.skipMessages().get(0));
      }
      if (list.size() == 0) {
        throw new IllegalArgumentException(reader.file() + ": no examples");
      }
      return list;
    }
  }

  /** A user's training and validation files read as examples, and the label names they use. */
  record UserData(ExampleSource train, ExampleSource valid, LabelNames labels) {}

  /**
   * Reads a user's JSONL, CSV/TSV or TFRecord files (by extension): labels from {@code labelNames} or
   * collected from the training file, texts tokenized as the model's family reads them (retrieval:
   * two text fields; a model with the ListOps vocabulary: ListOps expressions; else bytes).
   */
  static UserData userFiles(ModelSpec spec, Path trainFile, Path validFile, List<String> textFields, String labelField,
      List<String> labelNames, int length, PrintWriter o) throws IOException {
    if (spec.task() == Task.LANGUAGE_MODEL) {
      throw new IllegalArgumentException("--train-file: language models train on --corpus FILE");
    }
    TextFileExamples.Kind kind = spec.task() == Task.RETRIEVAL ? TextFileExamples.Kind.PAIR
        : spec.vocabSize() <= ListOpsVocab.VOCAB_SIZE ? TextFileExamples.Kind.LISTOPS : TextFileExamples.Kind.TEXT;
    List<String> fields = textFields != null ? textFields
        : kind == TextFileExamples.Kind.PAIR ? List.of("text1", "text2") : List.of("text");
    if (fields.size() != kind.textFields()) {
      throw new IllegalArgumentException("--text-field (" + String.join(",", fields) + "): this " + spec.task().jsonName()
          + " model reads " + kind.textFields() + " text field(s) per row");
    }
    LabelNames labels;
    if (labelNames != null) {
      labels = new LabelNames(labelNames);
    } else {
      try (TextRows rows = openRows(trainFile, "--train-file", fields, labelField)) {
        labels = LabelNames.collect(rows);
      }
    }
    if (labels.size() > spec.classes()) {
      throw new IllegalArgumentException("--label-field (" + labelField + "): " + labels.size() + " labels " + labels
          + ", but the model has " + spec.classes() + " classes");
    }
    o.printf("labels (%s): %s%n", labelField, String.join(", ", labels.names()));
    ExampleSource train;
    try (TextRows rows = openRows(trainFile, "--train-file", fields, labelField)) {
      train = TextFileExamples.read(rows, labels, labelField, kind, length);
    }
    ExampleSource valid;
    try (TextRows rows = openRows(validFile, "--valid-file", fields, labelField)) {
      valid = TextFileExamples.read(rows, labels, labelField, kind, length);
    }
    return new UserData(train, valid, labels);
  }

  /** The reader for a user's file, chosen by its extension. */
  static TextRows openRows(Path file, String option, List<String> textFields, String labelField) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(option + " (" + file + "): no such file");
    }
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
      return new JsonlRows(file, textFields, labelField);
    }
    if (name.endsWith(".csv") || name.endsWith(".tsv")) {
      return new CsvRows(file, textFields, labelField);
    }
    if (name.endsWith(".tfrecord") || name.endsWith(".tfrecords")) {
      return new TfExampleRows(file, textFields, labelField);
    }
    throw new IllegalArgumentException(option + " (" + file + "): unknown file type; use .jsonl (JSON Lines), .csv or"
        + " .tsv (with a header) or .tfrecord (tf.Example records)");
  }

  /**
   * Next-byte windows of one split of a byte corpus, at least {@code minWindows} of them (training:
   * a batch; evaluation: one), else a message that names --corpus, the split's size and what it needs.
   */
  static ExampleSource corpus(Path file, ByteCorpus.Split split, int length, int minWindows) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("--corpus (" + file + ") is a directory; give a file of bytes (e.g. enwik8)");
    }
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("--corpus (" + file + "): no such file");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException("--corpus (" + file + ") is not a readable file");
    }
    // left open: the windows read it on demand for the life of the process
    ByteCorpus corpus = ByteCorpus.open(file);
    if (corpus.size() == 0) {
      corpus.close();
      throw new IllegalArgumentException("--corpus (" + file + ") is empty");
    }
    ByteCorpus.Windows windows = corpus.windows(split, length);
    if (windows.size() < minWindows) {
      long bytes = corpus.range(split).length();
      corpus.close();
      String name = split.name().toLowerCase(java.util.Locale.ROOT);
      throw new IllegalArgumentException("--corpus (" + file + ") is too short: its " + name + " split has " + bytes
          + " of its " + corpus.size() + " bytes (" + (corpus.size() >= ByteCorpus.DEFAULT_TRAIN + ByteCorpus.DEFAULT_VALID
          + ByteCorpus.DEFAULT_TEST ? "90M/5M/5M" : "90/5/5 %") + "), " + windows.size() + " windows of " + (length + 1)
          + " bytes (--length " + length + " and the next byte); " + (minWindows > 1 ? "one batch needs " + minWindows
          + " (--batch)" : "at least 1 is needed") + ". Give a longer corpus or a smaller --length");
    }
    return windows;
  }

  static BatchKind kind(ModelSpec spec) {
    return switch (spec.task()) {
      case CLASSIFIER -> BatchKind.CLASSIFICATION;
      case RETRIEVAL -> BatchKind.RETRIEVAL;
      case LANGUAGE_MODEL -> BatchKind.LANGUAGE_MODEL;
    };
  }

  /** Shuffled (per seed and epoch), bucketed, full batches: what training reads. */
  static BatchSource training(ModelSpec spec, ExampleSource examples, int batch, int length, long seed) {
    return BatchSource.of(Batcher.builder(examples, kind(spec)).batchSize(batch).length(length).shuffle(seed)
        .bucketBatches(8).dropRemainder(true).build());
  }

  /** In order, every example once (the last batch padded): what evaluation reads. */
  static BatchSource evaluation(ModelSpec spec, ExampleSource examples, int batch, int length) {
    return BatchSource.of(Batcher.builder(examples, kind(spec)).batchSize(batch).length(length).build());
  }
}
