package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which run checkpoints export rebuilds as the authors' LM: those recording the train-lm family,
 * and train-lm runs written before the family was recorded (lanes and block, no family).
 */
class AuthorsLmRunsTest {
  @Test
  void trainLmRunsAreToldByTheirFamilyOrTheirLanesAndBlock() {
    assertTrue(AuthorsLmRuns.trainedBy(Map.of("model", "{}", "family", "transformer_ls", "lanes", "2", "block", "8")));
    assertTrue(AuthorsLmRuns.trainedBy(Map.of("model", "{}", "lanes", "2", "block", "8", "seed", "1")));
    assertFalse(AuthorsLmRuns.trainedBy(Map.of("model", "{}", "family", "tokens", "length", "128")));
    assertFalse(AuthorsLmRuns.trainedBy(Map.of("model", "{}", "length", "128")));
    assertFalse(AuthorsLmRuns.trainedBy(Map.of("model", "{}", "augment", "none")));
  }
}
