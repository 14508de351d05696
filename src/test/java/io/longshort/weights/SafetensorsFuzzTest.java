package io.longshort.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzz targets of the safetensors reader and writer. As ordinary tests they replay the seeds in
 * src/test/resources/io/longshort/weights/SafetensorsFuzzTestInputs/; scripts/fuzz.sh fuzzes them.
 * Properties: a file is either refused with a SafetensorsException naming it, or it keeps the
 * format's invariants (every tensor inside the data area, the tensors tiling it without overlap,
 * shape x dtype size = byte range) and every tensor reads; what the writer writes reads back equal.
 */
class SafetensorsFuzzTest {
  private static final Path FILE = FuzzFiles.file("fuzz.safetensors");

  @FuzzTest(maxDuration = "2m")
  void anyFileIsRefusedClearlyOrKeepsTheInvariants(byte[] data) throws IOException {
    Files.write(FILE, data);
    try (Safetensors st = Safetensors.open(FILE)) {
      long headerBytes = ByteBuffer.wrap(data, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      long dataStart = 8 + headerBytes;
      List<TensorInfo> infos = new ArrayList<>();
      for (String name : st.names()) {
        infos.add(st.info(name));
      }
      infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
      long at = dataStart;
      for (TensorInfo t : infos) {
        assertEquals(at, t.begin(), "tensors tile the data area: " + t.name());
        assertEquals(t.size() * t.dtype().bytes(), t.end() - t.begin(), "shape x dtype = bytes: " + t.name());
        at = t.end();
        try {
          assertEquals(t.size(), st.readDoubles(t.name()).length);
          if (!t.dtype().isFloating()) {
            assertEquals(t.size(), st.readLongs(t.name()).length);
          }
        } catch (SafetensorsException e) {
          assertTrue(e.getMessage().startsWith(FILE.toString()), e.getMessage());
        }
      }
      assertEquals(data.length, at, "the tensors end where the file ends");
    } catch (SafetensorsException e) {
      assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
    }
  }

  @FuzzTest(maxDuration = "2m")
  void whatTheWriterWritesReadsBackEqual(FuzzedDataProvider data) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (int i = data.consumeInt(0, 3); i > 0; i--) {
      String key = data.consumeString(12);
      String value = data.consumeString(40);
      try {
        w.metadata(key, value);
      } catch (IllegalArgumentException refused) {
        assertTrue(refused.getMessage().startsWith("metadata entry "), refused.getMessage());
        continue;
      }
      metadata.put(key, value);
    }
    record Put(String name, int kind, long[] shape, double[] doubles, long[] longs) {}
    Map<String, Put> puts = new LinkedHashMap<>();
    for (int n = data.consumeInt(0, 4); n > 0; n--) {
      String name = data.consumeString(16);
      int kind = data.consumeInt(0, 3);
      long[] shape = new long[data.consumeInt(0, 3)];
      int size = 1;
      for (int d = 0; d < shape.length; d++) {
        shape[d] = data.consumeInt(0, 4);
        size *= (int) shape[d];
      }
      double[] doubles = new double[size];
      long[] longs = new long[size];
      for (int i = 0; i < size; i++) {
        doubles[i] = kind == 0 ? (float) data.consumeDouble() : data.consumeDouble();
        longs[i] = kind == 2 ? data.consumeInt() : data.consumeLong();
      }
      try {
        switch (kind) {
          case 0 -> w.putFloats(name, shape, doubles);
          case 1 -> w.putDoubles(name, shape, doubles);
          case 2 -> w.putInts(name, shape, java.util.Arrays.stream(longs).mapToInt(v -> (int) v).toArray());
          default -> w.putLongs(name, shape, longs);
        }
      } catch (IllegalArgumentException refused) {
        assertTrue(refused.getMessage().startsWith("tensor "), refused.getMessage());
        continue;
      }
      puts.put(name, new Put(name, kind, shape, doubles, longs));
    }
    Path file = FuzzFiles.file("written.safetensors");
    w.write(file);
    try (Safetensors st = Safetensors.open(file)) {
      assertEquals(metadata, st.metadata());
      assertEquals(puts.keySet(), st.names());
      for (Put p : puts.values()) {
        assertArrayEquals(p.shape(), st.info(p.name()).shape(), p.name());
        if (p.kind() < 2) {
          assertArrayEquals(p.doubles(), st.readDoubles(p.name()), p.name());
        } else {
          assertArrayEquals(p.longs(), st.readLongs(p.name()), p.name());
        }
      }
    }
  }
}
