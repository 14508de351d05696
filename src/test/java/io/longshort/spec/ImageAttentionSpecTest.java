package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Image attention by kind: one record each, read and written through Jackson's polymorphic types on "kind". */
class ImageAttentionSpecTest {
  /** Full image attention as main's code (one class, every field written) wrote it. */
  private static final String MAINS_FULL = """
      {
        "kind" : "full",
        "width" : 8,
        "heads" : 2,
        "window" : 0,
        "rank" : 0,
        "globalTokens" : 1,
        "relativePositions" : true,
        "layerNormEpsilon" : 1.0E-5
      }""";

  private static String refused(String json) {
    return assertThrows(IllegalArgumentException.class, () -> ImageAttentionSpec.parseJson(json)).getMessage();
  }

  @Test
  void theBuilderAndTheJsonGiveTheKindsRecord() {
    ImageAttentionSpec full = ImageAttentionSpec.full().setWidth(8).setHeads(2).optGlobalTokens(1).build();
    assertEquals(new ImageAttentionSpec.Full(8, 2, 1, true, 1e-5), full);
    assertEquals(full, ImageAttentionSpec.parseJson(MAINS_FULL));
    assertEquals(MAINS_FULL, full.toJson(), "writes what main wrote, byte for byte");
    ImageAttentionSpec ls = ImageAttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(4).setRank(2).build();
    assertInstanceOf(ImageAttentionSpec.LongShort.class, ls);
    assertEquals(ls, ImageAttentionSpec.parseJson(ls.toJson()));
    assertEquals(ls.hashCode(), ImageAttentionSpec.parseJson(ls.toJson()).hashCode());
    assertEquals(ls, ImageAttentionSpec.parseJson(ls.toJson().replace("\"long_short\"", "\"LONG_SHORT\"")),
        "the Java name of a kind reads as every enum does");
    assertNotEquals(ls, ls.toBuilder().setRank(3).build());
    assertEquals(2, ls.margin());
    assertEquals(0, full.margin());
    assertEquals(ls.toString(), ls.toJson());
  }

  @Test
  void theRecordsCheckAsTheBuilderDoes() {
    String builder = assertThrows(IllegalArgumentException.class,
        () -> ImageAttentionSpec.longShort().setWidth(9).setHeads(2).setWindow(4).setRank(2).build()).getMessage();
    String record = assertThrows(IllegalArgumentException.class,
        () -> new ImageAttentionSpec.LongShort(9, 2, 4, 2, 0, true, 1e-5)).getMessage();
    assertEquals("ImageAttentionSpec: width (9) is not divisible by heads (2)", builder);
    assertEquals(builder, record);
    assertEquals("ImageAttentionSpec: window (1) must be >= 2 with relativePositions: the authors' bias table has"
        + " no margin for w = 1", assertThrows(IllegalArgumentException.class,
            () -> new ImageAttentionSpec.LongShort(8, 2, 1, 2, 0, true, 1e-5)).getMessage());
  }

  @Test
  void jsonIsRefusedWithTheSpecsMessages() {
    assertEquals("ImageAttentionSpec: window (3) does not apply to full image attention; leave it unset",
        refused(MAINS_FULL.replace("\"window\" : 0", "\"window\" : 3")));
    assertEquals("ImageAttentionSpec: rank is required for long_short image attention (setRank)",
        refused("{\"kind\": \"long_short\", \"width\": 8, \"heads\": 2, \"window\": 4}"));
    assertTrue(refused("{\"kind\": \"causal_full\", \"width\": 8, \"heads\": 2}")
        .contains("kind (causal_full) is not allowed; image attention is long_short or full"));
    assertTrue(refused("{\"kind\": \"wide\", \"width\": 8, \"heads\": 2}").contains("kind (\"wide\") is not one of"));
    String unknown = refused("{\"kind\": \"full\", \"width\": 8, \"heads\": 2, \"windw\": 0}");
    assertTrue(unknown.contains("unknown field \"windw\"; allowed: globalTokens, heads, kind, layerNormEpsilon,"
        + " rank, relativePositions, width, window"), unknown);
    assertTrue(refused("{\"width\": 8, \"heads\": 2}").contains("kind"));
  }
}
