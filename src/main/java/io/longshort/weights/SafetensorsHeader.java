package io.longshort.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, checked as the reference implementation (the Rust
 * {@code safetensors} crate, which Python's {@code safetensors} wraps) checks it in
 * {@code Metadata::validate} and {@code read_metadata}: UTF-8 JSON, every tensor's byte count equal
 * to its shape times its dtype's size (without overflow), and the tensors, sorted by offset,
 * tiling the data area exactly, from byte 0 to the end of the file, with no overlap and no gap. A
 * file that breaks any of these is refused, so no tensor can be read from another's bytes. Stricter
 * than the reference where it only overwrites silently: a name given twice and a metadata value
 * that is not a string are errors.
 */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** Parses {@code header} (the bytes after the length) of a file whose data area starts at {@code dataStart}. */
  static SafetensorsHeader parse(Path file, byte[] header, long dataStart, long fileSize)
      throws SafetensorsException {
    String json;
    try {
      json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsException(file, "bad header: not valid UTF-8 (" + e.getMessage() + ")");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      throw new SafetensorsException(file, "bad header: not valid JSON (" + e.getOriginalMessage()
          + (at == null ? "" : " at header line " + at.getLineNr() + ", column " + at.getColumnNr()) + ")");
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(file, "bad header: expected a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (entry.getKey().equals("__metadata__")) {
        readMetadata(file, entry.getValue(), metadata);
      } else {
        tensors.put(entry.getKey(), tensor(file, entry.getKey(), entry.getValue(), dataStart, fileSize));
      }
    }
    checkTiling(file, tensors.values(), dataStart, fileSize);
    return new SafetensorsHeader(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> into) throws SafetensorsException {
    if (!node.isObject()) {
      throw new SafetensorsException(file, "bad header: __metadata__ must be an object of strings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (!m.getValue().isTextual()) {
        throw new SafetensorsException(file, "bad header: __metadata__ entry '" + m.getKey()
            + "' must be a string, got " + abbreviate(m.getValue().toString()));
      }
      into.put(m.getKey(), m.getValue().asText());
    }
  }

  private static TensorInfo tensor(Path file, String name, JsonNode node, long dataStart, long fileSize)
      throws SafetensorsException {
    String where = "bad header: tensor '" + name + "'";
    if (!node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("data_offsets")) {
      throw new SafetensorsException(file, where + " needs dtype, shape and data_offsets");
    }
    JsonNode dtypeNode = node.get("dtype");
    Dtype dtype = dtypeNode.isTextual() ? Dtype.fromName(dtypeNode.asText()) : null;
    if (dtype == null) {
      throw new SafetensorsException(file, where + " has unknown dtype " + abbreviate(dtypeNode.toString())
          + " (known: " + Arrays.toString(Dtype.values()) + ")");
    }
    JsonNode shapeNode = node.get("shape");
    if (!shapeNode.isArray()) {
      throw new SafetensorsException(file, where + ": shape must be an array of sizes");
    }
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new SafetensorsException(file, where + ": shape entry " + abbreviate(d.toString())
            + " is not a size >= 0");
      }
      shape[i] = d.asLong();
      count = multiply(file, where, count, shape[i]);
    }
    long bytes = multiply(file, where, count, dtype.bytes());
    JsonNode offsets = node.get("data_offsets");
    if (!offsets.isArray() || offsets.size() != 2 || !isOffset(offsets.get(0)) || !isOffset(offsets.get(1))) {
      throw new SafetensorsException(file, where + ": data_offsets must be [begin, end], two integers >= 0, got "
          + abbreviate(offsets.toString()));
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (end < begin) {
      throw new SafetensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] are not a range");
    }
    if (end - begin != bytes) {
      throw new SafetensorsException(file, where + ": data_offsets [" + begin + ", " + end + "] hold "
          + (end - begin) + " bytes, but " + dtype + Arrays.toString(shape) + " needs " + bytes);
    }
    if (end > fileSize - dataStart) {
      throw new SafetensorsException(file, "truncated: tensor '" + name + "' ends at byte "
          + (dataStart + end) + " but the file has " + fileSize + " bytes");
    }
    return new TensorInfo(name, dtype, shape, dataStart + begin, dataStart + end);
  }

  /**
   * The reference's rule: sorted by offsets, each tensor begins where the previous one ended (the
   * first at 0) and the last ends at the end of the file. Overlapping tensors would read each other's
   * bytes; gaps and trailing bytes mean the header does not describe the file.
   */
  private static void checkTiling(Path file, Collection<TensorInfo> tensors, long dataStart, long fileSize)
      throws SafetensorsException {
    List<TensorInfo> sorted = new ArrayList<>(tensors);
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = dataStart;
    TensorInfo previous = null;
    for (TensorInfo t : sorted) {
      if (t.begin() < expected) {
        throw new SafetensorsException(file, "bad header: tensor '" + t.name() + "' (data_offsets "
            + range(t, dataStart) + ") overlaps tensor '" + previous.name() + "' (" + range(previous, dataStart)
            + "); the tensors of a safetensors file must tile its data area without overlapping");
      }
      if (t.begin() > expected) {
        throw new SafetensorsException(file, "bad header: bytes [" + (expected - dataStart) + ", "
            + (t.begin() - dataStart) + ") of the data area belong to no tensor (before tensor '" + t.name()
            + "'); the tensors of a safetensors file must tile its data area without gaps");
      }
      expected = t.end();
      previous = t;
    }
    long covered = expected - dataStart;
    long dataBytes = fileSize - dataStart;
    if (covered != dataBytes) {
      throw new SafetensorsException(file, "bad header: the tensors cover " + covered + " bytes of the data area but"
          + " the file holds " + dataBytes + " after the header: bytes [" + covered + ", " + dataBytes
          + ") belong to no tensor");
    }
  }

  private static String range(TensorInfo t, long dataStart) {
    return "[" + (t.begin() - dataStart) + ", " + (t.end() - dataStart) + "]";
  }

  private static boolean isOffset(JsonNode n) {
    return n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0;
  }

  private static long multiply(Path file, String where, long a, long b) throws SafetensorsException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw new SafetensorsException(file, where + ": its shape's size overflows 64 bits");
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
