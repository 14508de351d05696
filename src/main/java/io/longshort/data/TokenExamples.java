package io.longshort.data;

/**
 * Token examples read as a model reads them ({@link Dataset.Examples}): batched by a
 * {@link Batcher} of the model's kind and length, as the CLI's training and evaluation batch them.
 */
final class TokenExamples implements Dataset.Examples {
  /** Length-sorted windows of this many batches keep padding low (see {@link Batcher}). */
  private static final int BUCKET_BATCHES = 8;

  private final ExampleSource source;
  private final BatchKind kind;
  private final int length;
  private final LabelNames labels;
  private final String labelField;

  private TokenExamples(ExampleSource source, BatchKind kind, int length, LabelNames labels, String labelField) {
    this.source = source;
    this.kind = kind;
    this.length = length;
    this.labels = labels;
    this.labelField = labelField;
  }

  /** @param labels a user's file's label names and the field they came from, or null, null */
  static TokenExamples of(ExampleSource source, BatchKind kind, int length, LabelNames labels, String labelField) {
    if (length < 1) {
      throw new IllegalArgumentException("length (" + length + ") must be >= 1 to batch token examples");
    }
    return new TokenExamples(source, kind, length, labels, labelField);
  }

  @Override
  public BatchSource training(int batchSize, long seed) {
    if (source.size() < batchSize) {
      throw new IllegalArgumentException("the training data has " + source.size() + " examples, fewer than a batch ("
          + batchSize + "); give more data or a smaller batch size");
    }
    return BatchSource.of(Batcher.builder(source, kind).batchSize(batchSize).length(length).shuffle(seed)
        .bucketBatches(BUCKET_BATCHES).dropRemainder(true).build());
  }

  @Override
  public BatchSource evaluation(int batchSize) {
    return BatchSource.of(Batcher.builder(source, kind).batchSize(batchSize).length(length).build());
  }

  @Override
  public int size() {
    return source.size();
  }

  @Override
  public LabelNames labels() {
    return labels;
  }

  @Override
  public String labelField() {
    return labelField;
  }
}
