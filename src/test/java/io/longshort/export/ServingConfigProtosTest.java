package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * models.config and batching_parameters.txt are written through TF Serving's messages and
 * protobuf's text printer: a hostile --serving-base-path (a quote and a newline that would open a
 * second config in a file built as a string) stays one model's path, escaped, and parses back
 * as exactly what was written. Versions are int64 end to end.
 */
class ServingConfigProtosTest {
  @TempDir
  Path dir;

  static final String HOSTILE = "/models\" }\n  config { name: \"evil";

  @Test
  void hostileBasePathGivesOneConfigPerModelThePathEscaped() throws Exception {
    Files.createDirectories(dir.resolve("a").resolve("1"));
    Files.createDirectories(dir.resolve("b\"q").resolve("7"));
    ServingExport.writeServerConfigs(dir, HOSTILE);
    String text = Files.readString(dir.resolve(ServingExport.MODELS_CONFIG));
    assertEquals(List.of(new ServingConfigProtos.Model("a", HOSTILE + "/a"),
        new ServingConfigProtos.Model("b\"q", HOSTILE + "/b\"q")), ServingConfigProtos.parseModelsConfig(text), text);
    assertTrue(text.contains("base_path: \"/models\\\" }\\n  config { name: \\\"evil/a\""), text);
    assertEquals(2, text.lines().filter(l -> l.strip().equals("config {")).count(),
        "two config blocks, no third from the path: " + text);
  }

  @Test
  void batchingParametersParseBackAsWritten() throws Exception {
    Files.createDirectories(dir.resolve("m").resolve("1"));
    ServingExport.writeServerConfigs(dir, null);
    String text = Files.readString(dir.resolve(ServingExport.BATCHING_FILE));
    assertEquals(Map.of("max_batch_size", 32L, "batch_timeout_micros", 2000L, "num_batch_threads", 4L,
        "max_enqueued_batches", 100L), ServingConfigProtos.parseBatchingParameters(text), text);
    assertEquals(32, ServingLimits.of(dir.resolve("m").resolve("1")).maxBatchSize());
  }

  @Test
  void versionsAreInt64() throws Exception {
    Path model = dir.resolve("m");
    Files.createDirectories(model.resolve("3"));
    Files.createDirectories(model.resolve(Long.toString(Long.MAX_VALUE)));
    Files.createDirectories(model.resolve("99999999999999999999")); // past int64: no version, as for TF Serving
    assertEquals(List.of(3L, Long.MAX_VALUE), ServingExport.versions(model));
    var e = assertThrows(IllegalArgumentException.class, () -> ServingExport.nextVersion(model));
    assertEquals(model + " holds version 9223372036854775807, the largest int64: there is no next version;"
        + " give --model-version (a free one below it)", e.getMessage());
  }
}
