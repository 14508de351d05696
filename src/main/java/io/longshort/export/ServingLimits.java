package io.longshort.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.longshort.io.TextFiles;
import io.longshort.spec.Json;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a request to an exported version may hold, as the export itself says: the largest batch
 * ({@code max_batch_size} of the {@code batching_parameters.txt} beside the model folder, which TF
 * Serving's batching enforces) and the vocabulary size (the model spec in
 * {@code assets.extra/example.safetensors}), so that an id out of the vocabulary is a bad request
 * rather than a kernel error. Either is 0 when the version does not say (a SavedModel from elsewhere).
 *
 * @param maxBatchSize the most rows one request may carry, or 0 for no limit
 * @param vocabSize ids of {@code input_ids*} inputs must be in [0, vocabSize), or 0 for unchecked
 * @param batchingFile where maxBatchSize came from (for the message), or null
 */
public record ServingLimits(int maxBatchSize, int vocabSize, Path batchingFile) {
  public static final ServingLimits NONE = new ServingLimits(0, 0, null);

  /** The limits of the version in {@code versionDir} ({@code <root>/<name>/<version>}). */
  public static ServingLimits of(Path versionDir) throws IOException {
    Path abs = versionDir.toAbsolutePath().normalize();
    Path batching = abs.getParent() == null || abs.getParent().getParent() == null ? null
        : abs.getParent().getParent().resolve(ServingExport.BATCHING_FILE);
    int maxBatch = 0;
    if (batching != null && Files.isRegularFile(batching)) {
      Map<String, Long> settings;
      try {
        settings = ServingConfigProtos.parseBatchingParameters(TextFiles.read(batching, "batching parameters"));
      } catch (com.google.protobuf.TextFormat.ParseException e) {
        throw new IOException(batching + ": not TF Serving's BatchingParameters text: " + e.getMessage(), e);
      }
      long max = settings.getOrDefault("max_batch_size", 0L);
      maxBatch = (int) Math.min(max, Integer.MAX_VALUE);
    }
    int vocab = 0;
    Path example = abs.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
    if (Files.isRegularFile(example)) {
      try (Safetensors st = Safetensors.open(example)) {
        String model = st.metadata().get("model");
        JsonNode v = model == null ? null : Json.MAPPER.readTree(model).get("vocabSize");
        if (v != null && v.canConvertToInt()) {
          vocab = v.asInt();
        }
      }
    }
    return new ServingLimits(maxBatch, vocab, maxBatch > 0 ? batching : null);
  }
}
