package io.longshort.spec;

import io.longshort.io.TextFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The model configs shipped in the jar (src/main/resources/configs), by name, or a JSON file. */
public final class ModelConfigs {
  /**
   * The paper's LRA settings, and our causal long-short byte LMs (not the authors' LM: that is
   * {@code io.longshort.train.TransformerLsSetting}).
   */
  public static final List<String> SHIPPED = List.of(
      "lra_listops", "lra_text", "lra_retrieval", "causal_ls_lm_30x512", "char_lm_small");

  private ModelConfigs() {}

  /** A shipped config by name, or a ModelSpec JSON file by path. */
  public static ModelSpec load(String nameOrFile) throws IOException {
    if (SHIPPED.contains(nameOrFile)) {
      try (InputStream in = ModelConfigs.class.getResourceAsStream("/configs/" + nameOrFile + ".json")) {
        if (in == null) {
          throw new IllegalStateException("shipped config " + nameOrFile + " is missing from the jar");
        }
        return ModelSpec.parseJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("model (\"" + nameOrFile + "\") is neither a shipped config ("
          + String.join(", ", SHIPPED) + ") nor a JSON file");
    }
    try {
      return ModelSpec.parseJson(TextFiles.read(file, "model file"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }
}
