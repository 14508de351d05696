package io.longshort.weights;

import io.longshort.io.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes a {@code .safetensors} file atomically (a temporary file in the same folder, then a rename). */
public final class SafetensorsWriter {
  private record Entry(Dtype dtype, long[] shape, byte[] data) {}

  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private boolean checksums;

  public SafetensorsWriter metadata(String key, String value) {
    if (!isUnicode(key) || !isUnicode(value)) {
      throw new IllegalArgumentException("metadata entry '" + key + "': not valid Unicode (a lone surrogate),"
          + " which UTF-8 cannot hold");
    }
    metadata.put(key, value);
    return this;
  }

  /**
   * Adds CRC32C checksums of every tensor's data and of the header to the metadata
   * ({@link Checksums}), which {@link Checksums#verify} checks.
   */
  public SafetensorsWriter optChecksums() {
    checksums = true;
    return this;
  }

  /** True unless {@code s} holds a lone UTF-16 surrogate (which would be written as '?'). */
  private static boolean isUnicode(String s) {
    return s != null && StandardCharsets.UTF_8.newEncoder().canEncode(s);
  }

  public SafetensorsWriter putFloats(String name, long[] shape, double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putFloat((float) v);
    }
    return put(name, Dtype.F32, shape, b.array(), values.length);
  }

  public SafetensorsWriter putDoubles(String name, long[] shape, double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      b.putDouble(v);
    }
    return put(name, Dtype.F64, shape, b.array(), values.length);
  }

  public SafetensorsWriter putInts(String name, long[] shape, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return put(name, Dtype.I32, shape, b.array(), values.length);
  }

  public SafetensorsWriter putLongs(String name, long[] shape, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return put(name, Dtype.I64, shape, b.array(), values.length);
  }

  private SafetensorsWriter put(String name, Dtype dtype, long[] shape, byte[] data, int count) {
    if (name.equals("__metadata__")) {
      throw new IllegalArgumentException("tensor '__metadata__': the name is the header's metadata entry");
    }
    if (!isUnicode(name)) {
      throw new IllegalArgumentException("tensor '" + name + "': not valid Unicode (a lone surrogate), which UTF-8"
          + " cannot hold");
    }
    long expected = 1;
    for (long d : shape) {
      expected *= d;
    }
    if (expected != count) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + java.util.Arrays.toString(shape)
          + " holds " + expected + " values, got " + count);
    }
    entries.put(name, new Entry(dtype, shape.clone(), data));
    return this;
  }

  public void write(Path file) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode header = mapper.createObjectNode();
    Map<String, String> meta = new LinkedHashMap<>(metadata);
    if (checksums) {
      Map<String, Long> crcs = new LinkedHashMap<>();
      entries.forEach((name, e) -> crcs.put(name, Checksums.crc32c(e.data())));
      meta.put(Checksums.TENSORS_KEY, Checksums.tensorTable(crcs));
      meta.put(Checksums.HEADER_KEY, Checksums.hex(Checksums.headerCrc(meta, entries.entrySet().stream()
          .map(e -> new Checksums.Entry(e.getKey(), e.getValue().dtype(), e.getValue().shape())).toList())));
    }
    if (!meta.isEmpty()) {
      ObjectNode metaNode = header.putObject("__metadata__");
      meta.forEach(metaNode::put);
    }
    long offset = 0;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", e.getValue().dtype().name());
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      t.putArray("data_offsets").add(offset).add(offset + e.getValue().data().length);
      offset += e.getValue().data().length;
    }
    byte[] json = mapper.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = io.longshort.io.AtomicFiles.createTemp(file);
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(json);
        for (int i = json.length; i < padded; i++) {
          out.write(' ');
        }
        for (Entry e : entries.values()) {
          out.write(e.data());
        }
      }
      io.longshort.io.AtomicFiles.readableByAll(tmp);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
