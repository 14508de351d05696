package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransformerLsSpecTest {
  static TransformerLsSpec small() {
    return TransformerLsSpec.builder().setVocabSize(20).setWidth(32).setInnerWidth(64).setHeads(2).setLayers(2)
        .setMemLen(32).setWindow(8).setChunkSize(4).setChunkRank(1).build();
  }

  @Test
  void roundTripsThroughJsonUnderTheAuthorsNames() {
    TransformerLsSpec spec = small().toBuilder().optUseBias(true).optPreLn(false).optClampLen(5).build();
    String json = spec.toJson();
    assertTrue(json.contains("\"chunk_size\" : 4"), json);
    assertEquals(spec, TransformerLsSpec.parseJson(json));
  }

  @Test
  void readsTheAuthorsConfigIgnoringGradChkAndProbing() {
    TransformerLsSpec spec = TransformerLsSpec.parseJson("{\"vocab_size\": 20, \"d_model\": 32, \"d_inner\": 64,"
        + " \"n_head\": 2, \"n_layer\": 2, \"mem_len\": 32, \"emb_dropout\": 0.0, \"chunk_rank\": 1,"
        + " \"chunk_size\": 4, \"window_len\": 8, \"dropout\": 0.0, \"use_bias\": false, \"pre_ln\": true,"
        + " \"use_gelu\": true, \"grad_chk\": false, \"clamp_len\": -1, \"cpos_clamp_len\": -1, \"probing\": false}");
    assertEquals(small(), spec);
  }

  @Test
  void refusesBadValuesNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> small().toBuilder().setMemLen(30).build());
    assertTrue(e.getMessage().contains("mem_len (30)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small().toBuilder().setHeads(3).build());
    assertTrue(e.getMessage().contains("d_model (32) is not divisible by n_head (3)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TransformerLsSpec.parseJson(
        small().toJson().replace("transformer_ls_lm", "lm")));
    assertTrue(e.getMessage().contains("kind (\"lm\")"), e.getMessage());
  }

  @Test
  void comparesAsAValueAndChangesThroughWithMethods() {
    assertEquals(small(), small());
    assertEquals(small().hashCode(), small().hashCode());
    TransformerLsSpec longer = small().withMemLen(64);
    assertEquals(64, longer.memLen());
    assertNotEquals(small(), longer);
    assertEquals(small().toBuilder().setMemLen(64).build(), longer);
    TransformerLsSpec dropped = small().withDropout(0.1);
    assertEquals(0.1, dropped.dropout());
    assertEquals(0.1, dropped.embDropout());
    assertNotEquals(small(), small().toBuilder().optEmbDropout(0.1).build());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small().withMemLen(30));
    assertTrue(e.getMessage().contains("mem_len (30)"), e.getMessage());
  }

  @Test
  void blockShapesAreTheAuthorsForwards() {
    TransformerLsSpec spec = small();
    assertEquals(14 + 2, spec.paddedBlock(14)); // not a multiple of C: padded to a multiple of lcm(4, 8)
    assertEquals(4, spec.paddedBlock(4)); // at most W
    assertEquals(24, spec.paddedBlock(24)); // a multiple of W
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec.paddedBlock(12));
    assertTrue(e.getMessage().contains("block length (12)") && e.getMessage().contains("e.g. 8 or 16"),
        e.getMessage());
  }
}
