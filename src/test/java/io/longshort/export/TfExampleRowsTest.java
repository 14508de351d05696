package io.longshort.export;

import io.longshort.data.TfExampleRows;
import io.longshort.io.TfRecords;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.longshort.data.LabelNames;
import io.longshort.data.MalformedRowException;
import io.longshort.data.TextRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.BytesList;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.Int64List;

/** TFRecord files of tf.Example: text and label features, and bad records named by record number and field. */
class TfExampleRowsTest {
  static Feature bytes(byte[]... values) {
    BytesList.Builder b = BytesList.newBuilder();
    for (byte[] v : values) {
      b.addValue(ByteString.copyFrom(v));
    }
    return Feature.newBuilder().setBytesList(b).build();
  }

  static Feature int64(long v) {
    return Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(v)).build();
  }

  static byte[] example(String k1, Feature f1, String k2, Feature f2) {
    return Example.newBuilder().setFeatures(Features.newBuilder().putFeature(k1, f1).putFeature(k2, f2)).build()
        .toByteArray();
  }

  private static List<TextRow> all(Path f) throws Exception {
    List<TextRow> out = new ArrayList<>();
    try (TfExampleRows rows = new TfExampleRows(f, List.of("text"), "label")) {
      for (TextRow r = rows.next(); r != null; r = rows.next()) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void textAndLabelFeatures(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("train.tfrecord");
    byte[] raw = {(byte) 0xFF, 0, 'a', (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80};
    TfRecords.write(f, List.of(example("text", bytes(raw), "label", bytes("pos".getBytes())),
        example("text", bytes(new byte[0]), "label", int64(3))));
    List<TextRow> rows = all(f);
    assertArrayEquals(raw, rows.get(0).texts().get(0)); // bytes as they are
    assertEquals("pos", rows.get(0).label());
    assertEquals("3", rows.get(1).label());
    assertEquals(2, rows.get(1).number());
    assertEquals(List.of("3", "pos"), LabelNames.collect(new TfExampleRows(f, List.of("text"), "label")).names());
  }

  @Test
  void badRecordsNameTheRecordAndField(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.tfrecord");
    byte[] good = example("text", bytes("a".getBytes()), "label", int64(1));
    TfRecords.write(f, List.of(good, example("txt", bytes("a".getBytes()), "label", int64(1))));
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> all(f));
    assertEquals(f + " record 2: missing field 'text': the example has features [label, txt]", e.getMessage());

    TfRecords.write(f, List.of(example("text", int64(5), "label", int64(1))));
    e = assertThrows(MalformedRowException.class, () -> all(f));
    assertEquals(f + " record 1: feature 'text' is an int64_list of 1 values; a text feature is a bytes_list with one"
        + " value", e.getMessage());

    TfRecords.write(f, List.of(example("text", bytes("a".getBytes(), "b".getBytes()), "label", int64(1))));
    e = assertThrows(MalformedRowException.class, () -> all(f));
    assertTrue(e.getMessage().contains("record 1: feature 'text' is a bytes_list of 2 values"), e.getMessage());

    Feature floats = Feature.newBuilder().setFloatList(FloatList.newBuilder().addValue(1f)).build();
    TfRecords.write(f, List.of(good, good, example("text", bytes("a".getBytes()), "label", floats)));
    e = assertThrows(MalformedRowException.class, () -> all(f));
    assertEquals(f + " record 3: feature 'label' is a float_list of 1 values; a label is a bytes_list or int64_list"
        + " with one value", e.getMessage());

    TfRecords.write(f, List.of(good, new byte[] {(byte) 0xFF, (byte) 0xFF}));
    e = assertThrows(MalformedRowException.class, () -> all(f));
    assertTrue(e.getMessage().startsWith(f + " record 2: not a serialized tf.Example"), e.getMessage());
  }

  @Test
  void badCrcIsRefusedWithItsRecord(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("crc.tfrecord");
    byte[] good = example("text", bytes("hello".getBytes()), "label", int64(1));
    TfRecords.write(f, List.of(good, good, good));
    byte[] file = Files.readAllBytes(f);
    int second = 16 + good.length; // record 2 starts after record 1's 12 + data + 4 bytes
    file[second + 12 + 2] ^= 1; // a byte of record 2's data: its data CRC no longer matches
    Files.write(f, file);
    MalformedRowException e = assertThrows(MalformedRowException.class, () -> all(f));
    assertEquals(f + " record 2: bad data CRC in the record at byte " + second, e.getMessage());
    file[second + 12 + 2] ^= 1;
    file[second + 3] ^= 1; // record 2's length: its length CRC no longer matches
    Files.write(f, file);
    e = assertThrows(MalformedRowException.class, () -> all(f));
    assertEquals(f + " record 2: bad length CRC at byte " + second, e.getMessage());
  }
}
