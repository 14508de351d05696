package io.longshort.data;

import com.google.protobuf.InvalidProtocolBufferException;
import io.longshort.io.TfRecords;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;

/**
 * A TFRecord file of serialized {@code tf.Example} protos (TF Java's own): text features are a
 * bytes_list with one value (its bytes as they are), the label a bytes_list or int64_list with one
 * value. Records are streamed through {@link TfRecords.Reader}, their CRCs checked.
 *
 * <p>It lives beside the TFRecord framing (export) because the data package may not import it.
 */
public final class TfExampleRows implements TextRows {
  private final Path file;
  private final List<String> textFields;
  private final String labelField;
  private final TfRecords.Reader records;

  public TfExampleRows(Path file, List<String> textFields, String labelField) throws IOException {
    this.file = file;
    this.textFields = List.copyOf(textFields);
    this.labelField = labelField;
    this.records = new TfRecords.Reader(file);
  }

  @Override
  public String unit() {
    return "record";
  }

  @Override
  public TextRow next() throws IOException {
    byte[] data;
    long n = records.records() + 1;
    try {
      data = records.next();
    } catch (IOException e) {
      // the framing's message names the byte offset; the row number is what a user counts
      String m = e.getMessage();
      throw bad(n, m.startsWith(file + ": ") ? m.substring(file.toString().length() + 2) : m);
    }
    if (data == null) {
      return null;
    }
    Example example;
    try {
      example = Example.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      throw bad(n, "not a serialized tf.Example: " + e.getMessage());
    }
    var features = example.getFeatures().getFeatureMap();
    List<byte[]> texts = new ArrayList<>(textFields.size());
    for (String f : textFields) {
      Feature v = feature(features, f, n);
      if (!v.hasBytesList() || v.getBytesList().getValueCount() != 1) {
        throw bad(n, "feature '" + f + "' is " + describe(v) + "; a text feature is a bytes_list with one value");
      }
      texts.add(v.getBytesList().getValue(0).toByteArray());
    }
    Feature label = feature(features, labelField, n);
    String name;
    if (label.hasBytesList() && label.getBytesList().getValueCount() == 1) {
      name = label.getBytesList().getValue(0).toStringUtf8();
    } else if (label.hasInt64List() && label.getInt64List().getValueCount() == 1) {
      name = Long.toString(label.getInt64List().getValue(0));
    } else {
      throw bad(n, "feature '" + labelField + "' is " + describe(label)
          + "; a label is a bytes_list or int64_list with one value");
    }
    return new TextRow(n, texts, name);
  }

  private Feature feature(java.util.Map<String, Feature> features, String name, long n) throws IOException {
    Feature v = features.get(name);
    if (v == null) {
      throw bad(n, "missing field '" + name + "': the example has features " + new java.util.TreeSet<>(features.keySet()));
    }
    return v;
  }

  private static String describe(Feature v) {
    if (v.hasBytesList()) {
      return "a bytes_list of " + v.getBytesList().getValueCount() + " values";
    }
    if (v.hasInt64List()) {
      return "an int64_list of " + v.getInt64List().getValueCount() + " values";
    }
    if (v.hasFloatList()) {
      return "a float_list of " + v.getFloatList().getValueCount() + " values";
    }
    return "empty";
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    records.close();
  }
}
