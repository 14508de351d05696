package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.longshort.spec.Json;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.spec.VisionSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * Checkpoints written by main's code (tests/fixtures/run_metadata, before the specs-by-kind rewrite)
 * still belong to the same run: the metadata today's code derives from the specs read back from them
 * is equal, string for string, in every identity key ({@link Trainer#IDENTITY}), and
 * {@link RunFolder} accepts them on resume.
 */
class RunMetadataCompatibilityTest {
  private static final Path FIXTURES = Path.of("tests", "fixtures", "run_metadata");

  @TempDir
  Path dir;

  private static Map<String, String> read(Path file) throws IOException {
    return Json.MAPPER.readValue(Files.readString(file), new TypeReference<Map<String, String>>() { });
  }

  private static List<Path> files(String prefix) throws IOException {
    try (Stream<Path> all = Files.list(FIXTURES)) {
      return all.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
    }
  }

  @Test
  void tokenRunsResumeFromMainsCheckpoints() throws IOException {
    List<Path> cases = Stream.concat(files("token_").stream(), files("kind_").stream()).toList();
    assertTrue(cases.size() >= 20, "fixtures: " + cases);
    for (Path file : cases) {
      Map<String, String> saved = read(file);
      ModelSpec model = ModelSpec.parseJson(saved.get("model"));
      assertEquals(model, ModelSpec.parseJson(model.toJson()), file + ": the spec compares as a value");
      TrainConfig config = TrainConfig.builder().setBatchSize(Integer.parseInt(saved.get("batchSize")))
          .setLength(Integer.parseInt(saved.get("length"))).setSteps(100).optSeed(Long.parseLong(saved.get("seed")))
          .build();
      Map<String, String> mine = Trainer.metadata(model, OptimizerSpec.parseJson(saved.get("optimizer")), config,
          TFloat32.class);
      for (String key : Trainer.IDENTITY) {
        assertEquals(saved.get(key), mine.get(key), file + ": " + key);
      }
      Path run = dir.resolve(file.getFileName().toString());
      try (RunFolder folder = RunFolder.open(run, mine, Trainer.IDENTITY)) {
        folder.checkSameRun(saved, file.getFileName().toString()); // throws naming the field that differs
      }
    }
  }

  @Test
  void visionAndLmSpecsWriteTheJsonMainWrote() throws IOException {
    List<Path> vision = files("vision_");
    List<Path> lm = files("lm_");
    assertTrue(vision.size() >= 4 && lm.size() >= 3, "fixtures: " + vision + lm);
    for (Path file : vision) {
      String saved = read(file).get("model");
      assertEquals(saved, VisionSpec.parseJson(saved).toJson(), file.toString());
    }
    for (Path file : lm) {
      String saved = read(file).get("model");
      TransformerLsSpec spec = TransformerLsSpec.parseJson(saved);
      assertEquals(saved, spec.toJson(), file.toString());
      assertEquals(spec, TransformerLsSpec.parseJson(spec.toJson()), file + ": the spec compares as a value");
    }
  }
}
