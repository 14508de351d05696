package io.longshort.data;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CSV (or, for a {@code .tsv} file, tab-separated) with a header row naming the columns; quoted
 * fields may hold separators, quotes and newlines as RFC 4180 writes them (Jackson's streaming CSV
 * parser). Every value is text, so the label is the column's text; an empty label is refused.
 */
public final class CsvRows implements TextRows {
  private static final CsvMapper CSV = new CsvMapper();

  private final Path file;
  private final List<String> textFields;
  private final String labelField;
  private final MappingIterator<Map<String, String>> rows;

  public CsvRows(Path file, List<String> textFields, String labelField) throws IOException {
    this.file = file;
    this.textFields = List.copyOf(textFields);
    this.labelField = labelField;
    char separator = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv") ? '\t' : ',';
    CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator(separator);
    try {
      this.rows = CSV.readerForMapOf(String.class).with(schema)
          .with(CsvParser.Feature.FAIL_ON_MISSING_HEADER_COLUMNS)
          .readValues(file.toFile());
      List<String> header = new ArrayList<>();
      // reading the header happens on the first look ahead
      rows.hasNextValue();
      ((CsvParser) rows.getParser()).getSchema().forEach(c -> header.add(c.getName()));
      List<String> wanted = new ArrayList<>(textFields);
      wanted.add(labelField);
      for (String f : wanted) {
        if (!header.contains(f)) {
          rows.close();
          throw bad(1, "missing field '" + f + "': the header names " + header);
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw bad(line(e), "broken CSV: " + e.getOriginalMessage());
    }
  }

  @Override
  public TextRow next() throws IOException {
    Map<String, String> row;
    long n;
    try {
      if (!rows.hasNextValue()) {
        return null;
      }
      row = rows.nextValue();
      n = rows.getParser().currentTokenLocation().getLineNr();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw bad(line(e), "broken CSV: " + e.getOriginalMessage());
    }
    List<byte[]> texts = new ArrayList<>(textFields.size());
    for (String f : textFields) {
      texts.add(value(row, f, n).getBytes(StandardCharsets.UTF_8));
    }
    String label = value(row, labelField, n);
    if (label.isEmpty()) {
      throw bad(n, "field '" + labelField + "' is empty; every row needs a label");
    }
    return new TextRow(n, texts, label);
  }

  private String value(Map<String, String> row, String field, long n) throws MalformedRowException {
    String v = row.get(field);
    if (v == null) {
      throw bad(n, "missing field '" + field + "' (the row has fewer columns than the header)");
    }
    return v;
  }

  private static long line(com.fasterxml.jackson.core.JsonProcessingException e) {
    return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public void close() throws IOException {
    rows.close();
  }
}
