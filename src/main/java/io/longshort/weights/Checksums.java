package io.longshort.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * CRC32C checksums in a safetensors header, as TensorFlow's own checkpoints carry one per tensor
 * (BundleEntryProto.crc32c): {@code __metadata__} gets
 * <ul>
 *   <li>{@value #TENSORS_KEY}: a JSON object of each tensor's name and the CRC32C of its data
 *       bytes (8 hex digits);
 *   <li>{@value #HEADER_KEY}: the CRC32C of every other metadata entry and of each tensor's name,
 *       dtype and shape, so a damaged header value (a spec, a step, a dtype) is caught as well.
 * </ul>
 * The format itself has no checksum field; these are ordinary metadata strings, so other
 * safetensors readers load the file unchanged.
 */
public final class Checksums {
  public static final String TENSORS_KEY = "crc32c";
  public static final String HEADER_KEY = "crc32c_header";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Checksums() {}

  public static String hex(long crc) {
    return String.format("%08x", crc);
  }

  public static long crc32c(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data);
    return c.getValue();
  }

  /** The {@value #TENSORS_KEY} value for tensors (name to data CRC32C), in the given order. */
  static String tensorTable(Map<String, Long> crcs) {
    ObjectNode o = MAPPER.createObjectNode();
    crcs.forEach((name, crc) -> o.put(name, hex(crc)));
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One tensor as the header checksum sees it. */
  record Entry(String name, Dtype dtype, long[] shape) {}

  /**
   * CRC32C over the metadata (sorted by key, without the header checksum itself) and the tensors'
   * names, dtypes and shapes (sorted by name), each field ended by a NUL byte.
   */
  static long headerCrc(Map<String, String> metadata, List<Entry> tensors) {
    CRC32C c = new CRC32C();
    new TreeMap<>(metadata).forEach((k, v) -> {
      if (!k.equals(HEADER_KEY)) {
        update(c, "m", k, v);
      }
    });
    tensors.stream().sorted(Comparator.comparing(Entry::name)).forEach(t ->
        update(c, "t", t.name(), t.dtype().name(), Arrays.toString(t.shape())));
    return c.getValue();
  }

  private static void update(CRC32C c, String... fields) {
    for (String f : fields) {
      c.update(f.getBytes(StandardCharsets.UTF_8));
      c.update(0);
    }
  }

  /** Whether the file carries checksums (files written before they existed do not). */
  public static boolean present(Safetensors st) {
    return st.metadata().containsKey(TENSORS_KEY) || st.metadata().containsKey(HEADER_KEY);
  }

  /**
   * Recomputes every checksum of {@code st} from the file and throws, naming the tensor (or the
   * header) and both values, at the first that differs; also when a tensor has no checksum or a
   * checksum names no tensor.
   */
  public static void verify(Safetensors st) throws IOException {
    Map<String, String> meta = st.metadata();
    String table = meta.get(TENSORS_KEY);
    String header = meta.get(HEADER_KEY);
    if (table == null || header == null) {
      throw new SafetensorsException(st.file(), "damaged header: it has " + (table == null ? HEADER_KEY : TENSORS_KEY)
          + " but no " + (table == null ? TENSORS_KEY : HEADER_KEY));
    }
    List<Entry> entries = new java.util.ArrayList<>();
    for (String n : st.names()) {
      TensorInfo t = st.info(n);
      entries.add(new Entry(n, t.dtype(), t.shape()));
    }
    long headerActual = headerCrc(meta, entries);
    if (!hex(headerActual).equals(header)) {
      throw new SafetensorsException(st.file(), "damaged header: its metadata and tensor entries have CRC32C "
          + hex(headerActual) + ", " + HEADER_KEY + " says " + header);
    }
    Map<String, String> expected = new TreeMap<>();
    try {
      JsonNode node = MAPPER.readTree(table);
      if (node == null || !node.isObject()) {
        throw new SafetensorsException(st.file(), "damaged header: " + TENSORS_KEY + " is not a JSON object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        var e = it.next();
        expected.put(e.getKey(), e.getValue().asText());
      }
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(st.file(), "damaged header: " + TENSORS_KEY + " is not valid JSON");
    }
    for (String name : expected.keySet()) {
      if (!st.contains(name)) {
        throw new SafetensorsException(st.file(), "damaged header: " + TENSORS_KEY + " names tensor '" + name
            + "', which the file does not have");
      }
    }
    try (FileChannel channel = FileChannel.open(st.file(), StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      for (String name : st.names()) {
        String want = expected.get(name);
        if (want == null) {
          throw new SafetensorsException(st.file(), "damaged header: tensor '" + name + "' has no checksum in "
              + TENSORS_KEY);
        }
        TensorInfo t = st.info(name);
        CRC32C c = new CRC32C();
        for (long pos = t.begin(); pos < t.end(); ) {
          buffer.clear().limit((int) Math.min(buffer.capacity(), t.end() - pos));
          int n = channel.read(buffer, pos);
          if (n < 0) {
            throw new SafetensorsException(st.file(), "truncated: tensor '" + name + "' ends at byte " + t.end()
                + ", the file at " + pos);
          }
          c.update(buffer.flip());
          pos += n;
        }
        if (!hex(c.getValue()).equals(want)) {
          throw new SafetensorsException(st.file(), "damaged data: tensor '" + name + "' (bytes " + t.begin() + ".."
              + t.end() + ") has CRC32C " + hex(c.getValue()) + ", the header says " + want);
        }
      }
    }
  }
}
