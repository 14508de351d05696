package io.longshort.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The one Jackson configuration every spec is read and written with. Reading is strict, as a spec
 * that means something else than it says is worse than one refused: {@code "window": 8.5} is an
 * error (not 8), an unknown field is an error that lists the allowed ones, trailing text after the
 * object is an error, a key given twice is an error (the second would silently win: {@code "window":
 * 4, "window": 1000}), a number given as a string ({@code "vocabSize": "18"}) is an error, and every
 * error gives its line and column. Every JSON file the project reads (specs, configs, run metadata,
 * {@code best.json}) goes through this mapper.
 */
public final class Json {
  public static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
      .build();

  private Json() {}

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  /** Reads a spec; validation errors come out as the spec's own IllegalArgumentException. */
  public static <T> T read(String json, Class<T> type) {
    if (json == null) {
      throw new IllegalArgumentException(type.getSimpleName() + " JSON: missing (null)");
    }
    try {
      JsonNode tree = MAPPER.readTree(json);
      // Jackson buffers unknown fields of a creator-built object and reports them only after the
      // creator ran, so the spec's own validation (often failing because of the misspelt field)
      // would speak first: check the fields before building anything.
      checkFields(type.getSimpleName(), tree, MAPPER.constructType(type), "");
      return MAPPER.readValue(json, type);
    } catch (ValueInstantiationException e) {
      if (e.getCause() instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException(message(type, e), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(message(type, e), e);
    }
  }

  /**
   * The tree of the JSON file {@code file}; a file that is not (strict) JSON fails naming the file,
   * the line and column and the reason, never Jackson's raw text (which quotes the source as
   * "REDACTED").
   */
  public static JsonNode readTree(java.nio.file.Path file) throws java.io.IOException {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new java.io.IOException(file + ": not valid JSON: " + describe(e), e);
    }
  }

  /** The tree of {@code json}; invalid JSON fails as IllegalArgumentException naming {@code what}. */
  public static JsonNode readTree(String json, String what) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + ": not valid JSON: " + describe(e), e);
    }
  }

  /**
   * Jackson's error in one line without its source excerpt: {@code line 1, column 12: Duplicate
   * field 'window'}.
   */
  public static String describe(JsonProcessingException e) {
    StringBuilder b = new StringBuilder();
    JsonLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      b.append("line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      b.append(b.length() > 0 ? " " : "").append("(at ").append(path(m)).append(")");
    }
    return b.append(b.length() > 0 ? ": " : "").append(reason(e)).toString();
  }

  /** The first line of Jackson's own message, the source excerpt left out. */
  private static String reason(JsonProcessingException e) {
    String m = String.valueOf(e.getOriginalMessage());
    if (m.startsWith("Trailing token")) {
      return "text after the end of the JSON value";
    }
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * {@code ModelSpec JSON, line 3, column 15 (at attention.window): Cannot coerce ...}; an unknown
   * field names the allowed ones.
   */
  static String message(Class<?> type, JsonProcessingException e) {
    StringBuilder b = new StringBuilder(type.getSimpleName()).append(" JSON");
    JsonLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      b.append(", line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      b.append(" (at ").append(path(m)).append(")");
    }
    b.append(": ");
    if (e instanceof UnrecognizedPropertyException u) {
      b.append("unknown field \"").append(u.getPropertyName()).append("\"");
      Collection<Object> known = u.getKnownPropertyIds();
      if (known != null && !known.isEmpty()) {
        b.append("; allowed: ").append(new TreeSet<>(known.stream().map(String::valueOf).toList()).stream()
            .collect(Collectors.joining(", ")));
      }
    } else {
      b.append(reason(e));
    }
    return b.toString();
  }

  /** Refuses a field that {@code type} (or a spec nested in it) does not have, naming the allowed ones. */
  private static void checkFields(String spec, JsonNode node, JavaType type, String path) {
    if (node == null) {
      return;
    }
    if (node.isArray() && (type.isCollectionLikeType() || type.isArrayType())) {
      for (int i = 0; i < node.size(); i++) {
        checkFields(spec, node.get(i), type.getContentType(), path + "[" + i + "]");
      }
      return;
    }
    if (!node.isObject() || type.isContainerType() || !type.getRawClass().getPackageName().startsWith("io.longshort")) {
      return;
    }
    Map<String, JavaType> fields = new TreeMap<>();
    for (BeanPropertyDefinition p : MAPPER.getDeserializationConfig().introspect(type).findProperties()) {
      fields.put(p.getName(), p.getPrimaryType());
    }
    // names a spec declares as ignored (e.g. the authors' grad_chk, which changes no number)
    com.fasterxml.jackson.annotation.JsonIgnoreProperties ignored =
        type.getRawClass().getAnnotation(com.fasterxml.jackson.annotation.JsonIgnoreProperties.class);
    java.util.Set<String> skip = ignored == null ? java.util.Set.of() : java.util.Set.of(ignored.value());
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (skip.contains(f.getKey())) {
        continue;
      }
      String at = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
      JavaType fieldType = fields.get(f.getKey());
      if (fieldType == null) {
        String owner = path.isEmpty() ? "" : " of " + type.getRawClass().getSimpleName();
        throw new IllegalArgumentException(spec + " JSON (at " + at + "): unknown field \"" + f.getKey() + "\""
            + owner + "; allowed: " + String.join(", ", fields.keySet()));
      }
      checkFields(spec, f.getValue(), fieldType, at);
    }
  }

  /** The field path, e.g. {@code attentionPerLayer[1].window}. */
  private static String path(JsonMappingException m) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : m.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.length() > 0 ? "." : "").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }
}
