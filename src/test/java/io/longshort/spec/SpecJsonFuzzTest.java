package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.TrainingSetting;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * Fuzz target of the spec JSON parser: the same text read as every spec type. Each read either
 * fails with an IllegalArgumentException that has a message, or gives a spec whose JSON reads back
 * equal (round trip) and equal again.
 */
class SpecJsonFuzzTest {
  private record Kind(Function<String, Object> parse, Function<Object, String> write) {}

  private static final List<Kind> KINDS = List.of(
      new Kind(AttentionSpec::parseJson, s -> ((AttentionSpec) s).toJson()),
      new Kind(ModelSpec::parseJson, s -> ((ModelSpec) s).toJson()),
      new Kind(ImageAttentionSpec::parseJson, s -> ((ImageAttentionSpec) s).toJson()),
      new Kind(VisionSpec::parseJson, s -> ((VisionSpec) s).toJson()),
      new Kind(OptimizerSpec::parseJson, s -> ((OptimizerSpec) s).toJson()),
      new Kind(TrainingSetting::parseJson, s -> ((TrainingSetting) s).toJson()));

  @FuzzTest(maxDuration = "2m")
  void anySpecJsonIsRefusedClearlyOrRoundTrips(byte[] data) {
    String json = new String(data, StandardCharsets.UTF_8);
    for (Kind k : KINDS) {
      Object spec;
      try {
        spec = k.parse().apply(json);
      } catch (IllegalArgumentException refused) {
        assertNotNull(refused.getMessage());
        assertFalse(refused.getMessage().isBlank());
        continue;
      }
      String written = k.write().apply(spec);
      Object again = k.parse().apply(written);
      assertEquals(spec, again, written);
      assertEquals(written, k.write().apply(again));
    }
  }
}
