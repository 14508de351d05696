package io.longshort.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines: one JSON object per line ({@code {"text": "...", "label": "pos"}}); blank lines are
 * skipped. Text fields must be strings; the label a string, an integer or a boolean.
 */
public final class JsonlRows implements TextRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final List<String> textFields;
  private final String labelField;
  private final LineReader lines;

  public JsonlRows(Path file, List<String> textFields, String labelField) throws IOException {
    this.file = file;
    this.textFields = List.copyOf(textFields);
    this.labelField = labelField;
    this.lines = new LineReader(file);
  }

  @Override
  public TextRow next() throws IOException {
    while (lines.next()) {
      if (blank(lines.bytes(), lines.length())) {
        continue;
      }
      long n = lines.lineNumber();
      JsonNode row;
      try {
        row = JSON.readTree(lines.bytes(), 0, lines.length());
      } catch (JsonProcessingException e) {
        throw bad(n, "broken JSON: " + e.getOriginalMessage());
      }
      if (row == null || !row.isObject()) {
        throw bad(n, "expected a JSON object, got " + (row == null ? "nothing" : row.getNodeType().name().toLowerCase()));
      }
      List<byte[]> texts = new ArrayList<>(textFields.size());
      for (String f : textFields) {
        JsonNode v = field(row, f, n);
        if (!v.isTextual()) {
          throw bad(n, "field '" + f + "' is " + typeName(v) + "; a text field must be a string");
        }
        texts.add(v.textValue().getBytes(StandardCharsets.UTF_8));
      }
      JsonNode label = field(row, labelField, n);
      if (!(label.isTextual() || label.isIntegralNumber() || label.isBoolean())) {
        throw bad(n, "field '" + labelField + "' is " + typeName(label)
            + "; a label must be a string, an integer or a boolean");
      }
      return new TextRow(n, texts, label.asText());
    }
    return null;
  }

  private JsonNode field(JsonNode row, String name, long n) throws MalformedRowException {
    JsonNode v = row.get(name);
    if (v == null || v.isNull()) {
      throw bad(n, "missing field '" + name + "'" + (v == null ? "" : " (null)"));
    }
    return v;
  }

  private static String typeName(JsonNode v) {
    return v.isNumber() ? "a number" : v.isBoolean() ? "a boolean" : v.isArray() ? "an array"
        : v.isObject() ? "an object" : "a " + v.getNodeType().name().toLowerCase();
  }

  private static boolean blank(byte[] b, int length) {
    for (int i = 0; i < length; i++) {
      if (b[i] != ' ' && b[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    lines.close();
  }
}
