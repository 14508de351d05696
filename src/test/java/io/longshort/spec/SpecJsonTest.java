package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.longshort.train.OptimizerSpec;
import org.junit.jupiter.api.Test;

/** The spec JSON parser refuses what it cannot read exactly, with a line, a column and the field. */
class SpecJsonTest {
  private static String error(Runnable parse) {
    return assertThrows(IllegalArgumentException.class, parse::run).getMessage();
  }

  @Test
  void aFractionalIntegerIsAnErrorNotTruncated() {
    String json = "{\"kind\": \"long_short\", \"width\": 64, \"heads\": 2,\n \"window\": 8.5, \"rank\": 2}";
    assertEquals("AttentionSpec JSON, line 2, column 12 (at window): Cannot coerce Floating-point value (8.5) to "
        + "`java.lang.Integer` value (but could if coercion was enabled using `CoercionConfig`)",
        error(() -> AttentionSpec.parseJson(json)));
  }

  @Test
  void aSyntaxErrorGivesItsLineAndColumn() {
    String json = "{\"kind\": \"long_short\",\n \"width\": 64,,\n \"heads\": 2}";
    String m = error(() -> AttentionSpec.parseJson(json));
    assertEquals("AttentionSpec JSON, line 2, column 14: Unexpected character (',' (code 44)): was expecting double-quote"
        + " to start field name", m);
    assertEquals("AttentionSpec JSON, line 1, column 43: text after the end of the JSON value",
        error(() -> AttentionSpec.parseJson("{\"kind\": \"full\", \"width\": 64, \"heads\": 2} {}")));
  }

  @Test
  void anUnknownFieldListsTheAllowedOnes() {
    String json = "{\"kind\": \"long_short\", \"width\": 64, \"heads\": 2, \"windw\": 8}";
    assertEquals("AttentionSpec JSON (at windw): unknown field \"windw\"; allowed: blockSize,"
        + " convKernel, featureMap, featureSeed, features, globalToken, globalTokens, heads, inverseStart, kind,"
        + " landmarks, layerNormEpsilon, maxLength, randomBlocks, randomPlan, randomSeed, rank, segment, width,"
        + " window", error(() -> AttentionSpec.parseJson(json)));
    String nested = "{\"task\": \"classifier\", \"vocabSize\": 18, \"maxLength\": 64, \"layers\": 1, \"classes\": 2,"
        + " \"attention\": {\"kind\": \"full\", \"width\": 8, \"heads\": 2, \"rnak\": 1}}";
    String m = error(() -> ModelSpec.parseJson(nested));
    assertEquals("ModelSpec JSON (at attention.rnak): unknown field \"rnak\" of AttentionSpec; allowed: blockSize,"
        + " convKernel, featureMap, featureSeed, features, globalToken, globalTokens, heads, inverseStart, kind,"
        + " landmarks, layerNormEpsilon, maxLength, randomBlocks, randomPlan, randomSeed, rank, segment, width,"
        + " window", m);
  }

  @Test
  void optimizerSpecsAreAsStrict() {
    String m = error(() -> OptimizerSpec.parseJson("{\"type\": \"adamw\", \"learningRate\": 1e-3, \"warmupStep\": 5}"));
    assertEquals(true, m.contains("unknown field \"warmupStep\"; allowed: "), m);
  }
}
