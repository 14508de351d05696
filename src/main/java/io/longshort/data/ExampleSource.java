package io.longshort.data;

/** Random access to examples, for {@link Batcher}. */
public interface ExampleSource {
  int size();

  Example get(int index);

  /** The example's token count (the longer sequence of a pair), used for bucketing. */
  default int length(int index) {
    return get(index).maxLength();
  }
}
