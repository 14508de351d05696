package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Attention by kind: one record each, read and written through Jackson's polymorphic types on "kind". */
class AttentionSpecRecordsTest {
  /** Full attention as main's code (one class, window/rank/segment always written) wrote it. */
  private static final String MAINS_FULL = """
      {
        "kind" : "full",
        "width" : 8,
        "heads" : 2,
        "window" : 0,
        "rank" : 0,
        "segment" : 0,
        "globalToken" : "none",
        "layerNormEpsilon" : 1.0E-5
      }""";

  private static String refused(String json) {
    return assertThrows(IllegalArgumentException.class, () -> AttentionSpec.parseJson(json)).getMessage();
  }

  @Test
  void everyKindBuildsItsRecordAndRoundTrips() {
    Map<AttentionKind, AttentionSpec> specs = Map.of(
        AttentionKind.LONG_SHORT, new AttentionSpec.LongShort(8, 2, 4, 2, GlobalToken.NONE, 1e-5),
        AttentionKind.CAUSAL_LONG_SHORT, new AttentionSpec.CausalLongShort(8, 2, 4, 4, 1, 1e-5),
        AttentionKind.FULL, new AttentionSpec.Full(8, 2, 1e-5),
        AttentionKind.CAUSAL_FULL, new AttentionSpec.CausalFull(8, 2, 1e-5),
        AttentionKind.LINFORMER, new AttentionSpec.Linformer(8, 2, 4, 0, 3, 1e-5),
        AttentionKind.NYSTROM, new AttentionSpec.Nystrom(8, 2, 4, 0, PseudoInverseStart.BATCH, 1e-5),
        AttentionKind.PERFORMER, new AttentionSpec.Performer(8, 2, 16, FeatureMap.RELU, 0, 1e-5),
        AttentionKind.LONGFORMER, new AttentionSpec.Longformer(8, 2, 4, 1, 1e-5),
        AttentionKind.BIGBIRD, new AttentionSpec.BigBird(8, 2, 4, 3, 0, null, 1e-5));
    assertEquals(AttentionKind.values().length, specs.size());
    for (var e : specs.entrySet()) {
      AttentionSpec spec = e.getValue();
      assertEquals(e.getKey(), spec.kind());
      assertEquals(spec, spec.toBuilder().build(), spec.kind() + ": the builder gives the same record");
      assertEquals(spec.getClass(), AttentionDefaults.of(e.getKey(), 8, 2, null).build().getClass());
      AttentionSpec read = AttentionSpec.parseJson(spec.toJson());
      assertEquals(spec, read);
      assertEquals(spec.hashCode(), read.hashCode());
      assertEquals(spec.toJson(), read.toJson());
    }
    assertEquals(specs.get(AttentionKind.LONG_SHORT),
        AttentionSpec.parseJson(specs.get(AttentionKind.LONG_SHORT).toJson().replace("\"long_short\"", "\"LONG_SHORT\"")),
        "the Java name of a kind reads as every enum does");
    assertNotEquals(specs.get(AttentionKind.FULL), specs.get(AttentionKind.CAUSAL_FULL));
  }

  @Test
  void mainsJsonReadsAndWritesTheSame() {
    AttentionSpec full = AttentionSpec.parseJson(MAINS_FULL);
    assertEquals(new AttentionSpec.Full(8, 2, 1e-5), full);
    assertEquals(MAINS_FULL, full.toJson());
    assertEquals(0, full.window(), "a field the kind does not have reads 0");
  }

  @Test
  void theRecordsAndTheJsonCheckAsTheBuilderDoes() {
    String builder = assertThrows(IllegalArgumentException.class, () -> AttentionSpec.causalLongShort().setWidth(8)
        .setHeads(2).setWindow(4).setSegment(4).setRank(4).build()).getMessage();
    assertTrue(builder.startsWith("AttentionSpec: rank (4) must be smaller than segment (4)"), builder);
    assertEquals(builder, assertThrows(IllegalArgumentException.class,
        () -> new AttentionSpec.CausalLongShort(8, 2, 4, 4, 4, 1e-5)).getMessage());
    assertEquals("AttentionSpec: window (4) does not apply to full attention; leave it unset",
        refused(MAINS_FULL.replace("\"window\" : 0", "\"window\" : 4")));
    assertEquals("AttentionSpec: landmarks is required for nystrom attention (setLandmarks)",
        refused("{\"kind\": \"nystrom\", \"width\": 8, \"heads\": 2}"));
    assertTrue(refused("{\"kind\": \"wide\", \"width\": 8, \"heads\": 2}").contains("kind (\"wide\") is not one of"));
    String unknown = refused("{\"kind\": \"full\", \"width\": 8, \"heads\": 2, \"windw\": 0}");
    assertEquals("AttentionSpec JSON (at windw): unknown field \"windw\"; allowed: blockSize, convKernel, featureMap,"
        + " featureSeed, features, globalToken, globalTokens, heads, inverseStart, kind, landmarks, layerNormEpsilon,"
        + " maxLength, randomBlocks, randomPlan, randomSeed, rank, segment, width, window", unknown);
  }

  @Test
  void bigBirdsPlanIsAValueTheCallerCannotChange() {
    int[][][] plan = {{{0}, {1}}, {{1}, {2}}};
    AttentionSpec.BigBird a = new AttentionSpec.BigBird(8, 2, 4, 1, 0, plan, 1e-5);
    AttentionSpec b = AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).optRandomBlocks(1)
        .optRandomPlan(new int[][][] {{{0}, {1}}, {{1}, {2}}}).build();
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    plan[0][0][0] = 3;
    a.randomPlan()[0][0][0] = 3;
    assertEquals(0, a.randomPlan()[0][0][0]);
    assertEquals(a, b);
    assertEquals(List.of(a), List.of(AttentionSpec.parseJson(a.toJson())));
  }
}
