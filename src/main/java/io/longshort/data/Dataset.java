package io.longshort.data;

import io.longshort.data.images.Augmenter;
import io.longshort.data.images.ImageSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a trainer fits on: rows that become batches once the model says how it reads them
 * ({@link Reading}: the batch kind, how text is tokenized, the length N). The trainer batches a
 * dataset itself (its batch size, the model's length, shuffled by its seed), so the same dataset
 * serves any model of its kind.
 *
 * <pre>
 * Dataset train = Dataset.jsonl(Path.of("train.jsonl"), "text", "label");   // a user's file
 * Dataset listOps = Dataset.listOps(Path.of("basic_train.tsv"));             // an LRA file
 * Dataset mine = Dataset.of(examples);                                         // examples made in Java
 * </pre>
 */
public interface Dataset {
  /**
   * How a model reads rows: the batch it is fed ({@link BatchKind}), how a text field becomes
   * ids ({@link TextFileExamples.Kind}), N (ids are cut or padded to it) and, for a validation
   * set, the label names of its training set (null: the dataset's own).
   */
  record Reading(BatchKind kind, TextFileExamples.Kind text, int length, LabelNames labels) {
    public Reading {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(text, "text");
    }

    /** The same reading with the label names of a training set. */
    public Reading withLabels(LabelNames names) {
      return new Reading(kind, text, length, names);
    }
  }

  /** A dataset read as a model reads it: batches for training and for evaluation. */
  interface Examples {
    /** Shuffled by (seed, epoch), full batches only: what training reads. */
    BatchSource training(int batchSize, long seed);

    /** In order, every row once (the last batch padded): what evaluation reads. */
    BatchSource evaluation(int batchSize);

    /** Rows (examples, images, windows). */
    int size();

    /** The label names of a user's file (ids in their order), or null when labels are ids already. */
    LabelNames labels();

    /** The field the label names were read from, or null with {@link #labels()}. */
    default String labelField() {
      return null;
    }
  }

  /** The rows as {@code reading} says. */
  Examples read(Reading reading) throws IOException;

  /** Examples made in Java (token ids and labels, as the model reads them). */
  static Dataset of(List<Example> examples) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("Dataset.of: the list of examples is empty");
    }
    ExampleList list = new ExampleList(examples);
    return reading -> TokenExamples.of(list, reading.kind(), reading.length(), null, null);
  }

  /**
   * A JSON Lines file of a user's: {@code textField} (text; retrieval: two fields separated by a
   * comma, e.g. {@code "text1,text2"}) and {@code labelField} (a label name) per line. Label names
   * are the training file's, in order of first appearance ({@link LabelNames#collect}).
   */
  static Dataset jsonl(Path file, String textField, String labelField) {
    return userFile(file, textField, labelField, "jsonl", (f, fields, label) -> new JsonlRows(f, fields, label));
  }

  /** A CSV or TSV file with a header, as {@link #jsonl}. */
  static Dataset csv(Path file, String textField, String labelField) {
    return userFile(file, textField, labelField, "csv", (f, fields, label) -> new CsvRows(f, fields, label));
  }

  /** A TFRecord file of tf.Example records with bytes features, as {@link #jsonl}. */
  static Dataset tfRecord(Path file, String textField, String labelField) {
    return userFile(file, textField, labelField, "tfRecord", (f, fields, label) -> new TfExampleRows(f, fields, label));
  }

  /** Opens a user's file as rows of text fields and a label. */
  @FunctionalInterface
  interface RowsOpener {
    TextRows open(Path file, List<String> textFields, String labelField) throws IOException;
  }

  private static Dataset userFile(Path file, String textField, String labelField, String what, RowsOpener opener) {
    requireFile(file, what);
    if (textField == null || textField.isBlank() || labelField == null || labelField.isBlank()) {
      throw new IllegalArgumentException("Dataset." + what + " (" + file + "): textField (" + textField
          + ") and labelField (" + labelField + ") must be field names");
    }
    List<String> fields = List.of(textField.split(","));
    return reading -> {
      if (fields.size() != reading.text().textFields()) {
        throw new IllegalArgumentException("Dataset." + what + " (" + file + "): textField (" + textField
            + ") names " + fields.size() + " field(s); this model reads " + reading.text().textFields());
      }
      LabelNames names = reading.labels();
      if (names == null) {
        try (TextRows rows = opener.open(file, fields, labelField)) {
          names = LabelNames.collect(rows);
        }
      }
      try (TextRows rows = opener.open(file, fields, labelField)) {
        return TokenExamples.of(TextFileExamples.read(rows, names, labelField, reading.text(), reading.length()),
            reading.kind(), reading.length(), names, labelField);
      }
    };
  }

  /** An LRA ListOps TSV file ({@code Source}, {@code Target}); bad rows fail naming the row. */
  static Dataset listOps(Path tsv) {
    requireFile(tsv, "listOps");
    return reading -> {
      try (RowReader r = ClassificationReader.listOps(tsv, reading.length(), OnBadRow.FAIL)) {
        ExampleList list = r.readAll();
        if (list.isEmpty()) {
          throw new IllegalArgumentException("Dataset.listOps (" + tsv + "): no examples");
        }
        return TokenExamples.of(list, reading.kind(), reading.length(), null, null);
      }
    };
  }

  /** Images and their labels, batches augmented by {@code augmenter} in training (null: none). */
  static Dataset images(ImageSet images, Augmenter augmenter) {
    Objects.requireNonNull(images, "images");
    return reading -> new Examples() {
      @Override
      public BatchSource training(int batchSize, long seed) {
        return ImageData.training(images, batchSize, seed, augmenter);
      }

      @Override
      public BatchSource evaluation(int batchSize) {
        return ImageData.evaluation(images, batchSize);
      }

      @Override
      public int size() {
        return images.size();
      }

      @Override
      public LabelNames labels() {
        return null;
      }
    };
  }

  /** Images and their labels, not augmented. */
  static Dataset images(ImageSet images) {
    return images(images, null);
  }

  /**
   * One split of a byte corpus (e.g. enwik8: 90M/5M/5M bytes) as next-byte windows of the model's
   * length N (N + 1 bytes each), for language models.
   */
  static Dataset corpus(Path file, ByteCorpus.Split split) {
    requireFile(file, "corpus");
    Objects.requireNonNull(split, "split");
    return reading -> {
      if (reading.kind() != BatchKind.LANGUAGE_MODEL) {
        throw new IllegalArgumentException("Dataset.corpus (" + file + "): a byte corpus trains language models;"
            + " this model reads " + reading.kind() + " batches");
      }
      // left open: the windows read the file on demand for the life of the process
      ByteCorpus corpus = ByteCorpus.open(file);
      ByteCorpus.Windows windows = corpus.windows(split, reading.length());
      if (windows.size() == 0) {
        corpus.close();
        throw new IllegalArgumentException("Dataset.corpus (" + file + "): its " + split + " split ("
            + corpus.range(split).length() + " bytes) holds no window of " + (reading.length() + 1) + " bytes");
      }
      return TokenExamples.of(windows, reading.kind(), reading.length(), null, null);
    };
  }

  private static void requireFile(Path file, String what) {
    if (file == null || !Files.isRegularFile(file)) {
      throw new IllegalArgumentException("Dataset." + what + " (" + file + "): no such file");
    }
  }
}
