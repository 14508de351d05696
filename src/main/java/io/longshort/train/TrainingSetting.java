package io.longshort.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.longshort.io.TextFiles;
import io.longshort.spec.Json;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelOverrides;
import io.longshort.spec.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A training setting as a JSON file: the model config, its long-short window and rank, the batch
 * shape, the number of updates and the optimizer. The paper's LRA settings ship in the jar
 * (src/main/resources/configs/train); {@code train --config NAME|FILE} takes one, and options given
 * on the command line win over its values.
 *
 * @param model a shipped model config name or a ModelSpec JSON file
 * @param window the long-short window w, or null for the model's
 * @param rank the long-short rank r, or null for the model's
 * @param dropout the dropout probability of every dropout site, or null for the model's (the
 *     authors' run_listops.sh and run_text.sh train with {@code --dropout_prob 0 --attention_dropout 0})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingSetting(
    @JsonProperty(value = "model", required = true) String model,
    @JsonProperty("window") Integer window,
    @JsonProperty("rank") Integer rank,
    @JsonProperty("dropout") Double dropout,
    @JsonProperty(value = "length", required = true) int length,
    @JsonProperty(value = "batch", required = true) int batch,
    @JsonProperty(value = "steps", required = true) long steps,
    @JsonProperty(value = "optimizer", required = true) OptimizerSpec optimizer) {

  /** The paper's settings. */
  public static final List<String> SHIPPED = List.of("lra_listops", "lra_text", "lra_retrieval");

  public TrainingSetting {
    check(model != null && !model.isBlank(), "model is required (a config name or a ModelSpec JSON file)");
    check(dropout == null || (dropout >= 0 && dropout < 1), "dropout (" + dropout + ") must be in [0, 1)");
    check(length >= 1, "length (" + length + ") must be >= 1");
    check(batch >= 1, "batch (" + batch + ") must be >= 1");
    check(steps >= 1, "steps (" + steps + ") must be >= 1");
    check(optimizer != null, "optimizer is required");
    check(optimizer.totalSteps() == steps, "optimizer.totalSteps (" + optimizer.totalSteps()
        + ") must equal steps (" + steps + "): the schedule ends with the run");
  }

  /** A shipped setting by name, or a JSON file by path. */
  public static TrainingSetting load(String nameOrFile) throws IOException {
    if (SHIPPED.contains(nameOrFile)) {
      try (InputStream in = TrainingSetting.class.getResourceAsStream("/configs/train/" + nameOrFile + ".json")) {
        if (in == null) {
          throw new IllegalStateException("shipped training setting " + nameOrFile + " is missing from the jar");
        }
        return parseJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--config (\"" + nameOrFile + "\") is neither a shipped training setting ("
          + String.join(", ", SHIPPED) + ") nor a JSON file");
    }
    try {
      return parseJson(TextFiles.read(file, "--config"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code given} with this setting's dropout, window and rank where {@code given} has none. The
   * window and rank are long-short's: they apply while the attention stays long-short (no kind
   * given, or long_short or causal_long_short); another kind keeps its own defaults.
   */
  public ModelOverrides modelOverrides(ModelOverrides given) {
    boolean longShort = given.attention() == null || given.attention().isLongShort();
    ModelOverrides.Builder b = given.toBuilder();
    if (given.dropout() == null && dropout != null) {
      b.optDropout(dropout);
    }
    if (longShort && given.window() == null && window != null) {
      b.optWindow(window);
    }
    if (longShort && given.rank() == null && rank != null) {
      b.optRank(rank);
    }
    return b.build();
  }

  /** This setting's model with its dropout, window and rank, and {@code given}'s changes over them. */
  public ModelSpec loadModel(ModelOverrides given) throws IOException {
    return modelOverrides(given).applyTo(ModelConfigs.load(model));
  }

  public static TrainingSetting parseJson(String json) {
    return Json.read(json, TrainingSetting.class);
  }

  public String toJson() {
    return Json.write(this);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("TrainingSetting: " + message);
    }
  }
}
