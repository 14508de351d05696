package io.longshort.cli;

import io.longshort.data.BatchKind;
import io.longshort.data.Batcher;
import io.longshort.data.ByteCorpus;
import io.longshort.data.ClassificationReader;
import io.longshort.data.ExampleSource;
import io.longshort.data.OnBadRow;
import io.longshort.data.RetrievalReader;
import io.longshort.data.RowReader;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import io.longshort.train.BatchSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

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
