package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The authors' arch strings and MsViT arguments read into VisionSpecs (VisionGoldenTest runs them). */
class MsVitArchTest {
  // imagenet/launch/eval/eval_medium_224.sh, eval_base_224.sh and eval_medium_384.sh, as they are
  static final String MEDIUM_224 = "l1,h3,d96,n1,s1,g1,p4,f7,a0,r8_l2,h3,d192,n4,s1,g1,p2,f7,a0,r8_l3,h6,d384,n16,s0,g1,"
      + "p2,f7,a0,r8_l4,h12,d768,n1,s0,g0,p2,f7,a0,r8";
  static final String BASE_224 = "l1,h3,d96,n1,s1,g1,p4,f7,a0,r8_l2,h3,d192,n8,s1,g1,p2,f7,a0,r8_l3,h6,d384,n24,s0,g1,"
      + "p2,f7,a0,r8_l4,h12,d768,n1,s0,g0,p2,f7,a0,r8";
  static final String MEDIUM_384 = "l1,h3,d96,n1,s1,g1,p4,f8,a0,r8_l2,h3,d192,n4,s1,g1,p2,f8,a0,r8_l3,h6,d384,n16,s0,g1,"
      + "p2,f8,a0,r8_l4,h12,d768,n1,s0,g0,p2,f8,a0,r8";

  @Test
  void shippedConfigsAreTheAuthorsLaunchScripts() throws Exception {
    assertEquals(MsVitArch.parse(MEDIUM_224, 224, 1000), VisionSpec.load("vil_ls_medium"));
    assertEquals(MsVitArch.parse(BASE_224, 224, 1000), VisionSpec.load("vil_ls_base"));
    VisionSpec medium384 = VisionSpec.load("vil_ls_medium_384");
    assertEquals(MsVitArch.parse(MEDIUM_384, 384, 1000), medium384);
    assertTrue(VisionSpec.SHIPPED.contains("vil_ls_medium_384"));
    assertEquals(8, medium384.stages().get(0).attention().window());
    assertEquals(96, medium384.gridSide(0));
    assertEquals(12, medium384.gridSide(3));
  }

  @Test
  void newFieldsAreWrittenOnlyWhenSet() throws Exception {
    // run folders keep the model's JSON: a spec without avg_pool or absolute positions writes what it did
    String medium = VisionSpec.load("vil_ls_medium").toJson();
    assertFalse(medium.contains("avgPool") || medium.contains("absolutePositions"), medium);
    VisionSpec both = MsVitArch.fromAuthorsConfig(new com.fasterxml.jackson.databind.node.ObjectNode(
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance).put("arch", "l1,d16,h2,f2_l2,d16,h2,a0_l3,s0")
        .put("img_size", 32).put("norm_embed", true).put("attn_type", "ls").put("avg_pool", true));
    String written = both.toJson();
    assertTrue(written.contains("\"avgPool\" : true") && written.contains("\"absolutePositions\" : true"), written);
    assertEquals(both, VisionSpec.parseJson(written));
  }

  @Test
  void lettersLeftOutTakeParseArchsDefaults() {
    // l1,h3,d192,n1,s1,g1,p2,f7,a1,r0: absolute positions, window 7, no dynamic projection
    List<VisionStage> stages = MsVitArch.stages("l1,p4_l2,d96,h2_l3,s0,g0", "ls");
    VisionStage first = stages.get(0);
    assertEquals(4, first.patchSize());
    assertEquals(1, first.depth());
    assertTrue(first.absolutePositions());
    assertEquals(AttentionKind.LONG_SHORT, first.attention().kind());
    assertEquals(192, first.width());
    assertEquals(3, first.attention().heads());
    assertEquals(7, first.attention().window());
    assertEquals(0, first.attention().rank());
    assertEquals(1, first.globalTokens());
    assertFalse(first.attention().relativePositions(), "rpe = not ape");
    assertEquals(96, stages.get(1).width());
    assertEquals(AttentionKind.FULL, stages.get(2).attention().kind());
    assertEquals(0, stages.get(2).globalTokens());
  }

  @Test
  void anS0StageMakesEveryLaterStageFull() {
    // MsViT's _make_layer sets the shared attn_args['attn_type'] = 'full' and never back
    List<VisionStage> stages = MsVitArch.stages("l1,a0,f2,r1_l2,s0,a0_l3,s1,a0,f2,r1", "ls");
    assertEquals(AttentionKind.LONG_SHORT, stages.get(0).attention().kind());
    assertEquals(AttentionKind.FULL, stages.get(1).attention().kind());
    assertEquals(AttentionKind.FULL, stages.get(2).attention().kind());
    assertEquals(AttentionKind.FULL, MsVitArch.stages("l1,a0_l2,a0_l3,a0", "full").get(0).attention().kind());
  }

  @Test
  void constructorArgumentsAsTheirDefaults() throws Exception {
    ObjectMapper json = new ObjectMapper();
    VisionSpec spec = MsVitArch.fromAuthorsConfig(json.readTree("{\"arch\": \"" + MEDIUM_224 + "\", \"img_size\": 224,"
        + " \"num_classes\": 1000, \"norm_embed\": true, \"attn_type\": \"ls\", \"drop_path_rate\": 0.1,"
        + " \"ln_eps\": 1e-5, \"sharew\": true, \"share_kv\": true, \"only_glo\": false, \"sw_exact\": 0, \"mode\": 0}"));
    // ln_eps sets a field no layer reads: every LayerNorm keeps the default norm_layer's 1e-6
    assertEquals(VisionSpec.load("vil_ls_medium"), spec);
    VisionSpec pooled = MsVitArch.fromAuthorsConfig(json.readTree("{\"arch\": \"" + MEDIUM_224 + "\", \"in_chans\": 1,"
        + " \"norm_embed\": true, \"attn_type\": \"ls\", \"avg_pool\": true}"));
    assertEquals(512, pooled.imageSize());
    assertEquals(1000, pooled.classes());
    assertEquals(1, pooled.channels());
    assertTrue(pooled.avgPool());
    assertFalse(pooled.poolsGlobalToken());
  }

  @Test
  void badInputNamesTheFieldTheValueAndWhatIsAllowed() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertMessage("stage 1: \"x3\" is not a letter of [l, h, d, n, s, g, p, f, a, r] followed by an integer",
        () -> MsVitArch.stages("l1,x3_l2_l3", "ls"));
    assertMessage("stage 2: \"h\" is not a letter", () -> MsVitArch.stages("l1_l2,h_l3", "ls"));
    assertMessage("stage 1: \"hx\": \"x\" is not an integer", () -> MsVitArch.stages("l1,hx_l2_l3", "ls"));
    assertMessage("stage 2: l1 must be l2", () -> MsVitArch.stages("l1_l1_l3", "ls"));
    assertMessage("2 stages; MsViT builds 3 or 4", () -> MsVitArch.stages("l1_l2", "ls"));
    assertMessage("stage 1: a2 must be a0", () -> MsVitArch.stages("l1,a2_l2_l3", "ls"));
    assertMessage("stage 1: g2: their AttentionLS takes at most one global token",
        () -> MsVitArch.stages("l1,g2_l2_l3", "ls"));
    assertMessage("stage 1: ImageAttentionSpec: width (100) is not divisible by heads (3)",
        () -> MsVitArch.stages("l1,d100_l2_l3", "ls"));
    assertMessage("attn_type (\"performer\") is not supported", () -> MsVitArch.stages("l1_l2_l3", "performer"));
    assertMessage("attn_type (\"longformerhand\") is not supported",
        () -> MsVitArch.fromAuthorsConfig(json.readTree("{\"arch\": \"l1_l2_l3\", \"norm_embed\": true}")));
    assertMessage("norm_embed (false) is not supported",
        () -> MsVitArch.fromAuthorsConfig(json.readTree("{\"arch\": \"l1_l2_l3\", \"attn_type\": \"ls\"}")));
    assertMessage("arch is required", () -> MsVitArch.fromAuthorsConfig(json.readTree("{\"img_size\": 224}")));
    assertMessage("img_size (\"224\") must be an integer", () -> MsVitArch.fromAuthorsConfig(
        json.readTree("{\"arch\": \"l1_l2_l3\", \"img_size\": \"224\"}")));
    assertMessage("num_classes (0) must be >= 2", () -> MsVitArch.fromAuthorsConfig(
        json.readTree("{\"arch\": \"l1_l2_l3\", \"num_classes\": 0}")));
    // an odd width cannot split into x and y position embeddings
    assertMessage("stages[0].absolutePositions needs an even width (15)",
        () -> MsVitArch.parse("l1,d15,h3_l2_l3", 64, 10));
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(part), "\"" + part + "\" not in: " + e.getMessage());
  }
}
