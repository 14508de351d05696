package io.longshort.data;

import java.util.Arrays;

/** One ListOps expression as token ids ({@link ListOpsVocab}) and its value, the label 0..9. */
public record ListOpsExample(byte[] ids, int label) {
  public int length() {
    return ids.length;
  }

  /** The plain form, {@code [MAX 2 9 ]}. */
  public String text() {
    return ListOpsVocab.decode(ids);
  }

  /** The LRA file form, {@code ( ( ( [MAX 2 ) 9 ) ] )}. */
  public String lraSource() {
    return ListOpsVocab.toLraSource(ids);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ListOpsExample e && e.label == label && Arrays.equals(e.ids, ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + label;
  }

  @Override
  public String toString() {
    return "ListOpsExample[" + label + ": " + (ids.length > 40 ? ListOpsVocab.decode(Arrays.copyOf(ids, 40))
        + " ... (" + ids.length + " tokens)" : text()) + "]";
  }
}
