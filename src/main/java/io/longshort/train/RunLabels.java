package io.longshort.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longshort.data.LabelNames;
import io.longshort.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A classifier run's label names, class id = position, in {@code labels.json} of the run folder
 * ({@code {"field": "label", "names": ["neg", "pos"]}}): what an export carries so clients get names,
 * not ids. A resumed run must have the same names (else its class ids would mean other labels).
 */
public final class RunLabels {
  public static final String FILE = "labels.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private RunLabels() {}

  /** The names a run folder records, if any. */
  public static Optional<LabelNames> read(Path runDir) throws IOException {
    Path f = runDir.resolve(FILE);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    JsonNode names = JSON.readTree(f.toFile()).get("names");
    if (names == null || !names.isArray()) {
      throw new IOException(f + ": expected {\"names\": [...]}");
    }
    List<String> out = new ArrayList<>();
    names.forEach(n -> out.add(n.asText()));
    return Optional.of(new LabelNames(out));
  }

  /**
   * Records the names (atomically); a folder that already records other names is refused, naming
   * both, and left as it is.
   */
  public static void write(Path runDir, String field, LabelNames labels) throws IOException {
    Optional<LabelNames> recorded = read(runDir);
    if (recorded.isPresent()) {
      if (!recorded.get().equals(labels)) {
        throw new IllegalArgumentException(runDir.resolve(FILE) + " records the labels " + recorded.get()
            + "; this data has " + labels + ": resume with the same labels (--labels) or use another --run");
      }
      return;
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("field", field);
    labels.names().forEach(root.putArray("names")::add);
    Files.createDirectories(runDir);
    AtomicFiles.writeString(runDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
  }
}
