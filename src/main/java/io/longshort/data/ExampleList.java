package io.longshort.data;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Examples held in memory (each one compactly, as bytes), with their lengths cached for bucketing. */
public final class ExampleList extends AbstractList<Example> implements ExampleSource {
  private final List<Example> examples;
  private final int[] lengths;

  public ExampleList(List<Example> examples) {
    this.examples = Collections.unmodifiableList(new ArrayList<>(examples));
    this.lengths = new int[examples.size()];
    for (int i = 0; i < lengths.length; i++) {
      lengths[i] = this.examples.get(i).maxLength();
    }
  }

  @Override
  public Example get(int index) {
    return examples.get(index);
  }

  @Override
  public int size() {
    return examples.size();
  }

  @Override
  public int length(int index) {
    return lengths[index];
  }
}
