package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ModelSpecTest {
  static final AttentionSpec LS = AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(8).setRank(32).build();

  private static void assertRejected(Executable build, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  private static ModelSpec.Builder classifier() {
    return ModelSpec.classifier().setVocabSize(18).setMaxLength(2048).setWidth(64).setLayers(2)
        .setHiddenWidth(128).setAttention(LS).setClasses(10);
  }

  @Test
  void shippedConfigsLoadAndRoundTrip() throws Exception {
    for (String name : ModelConfigs.SHIPPED) {
      ModelSpec spec = ModelConfigs.load(name);
      assertEquals(spec, ModelSpec.parseJson(spec.toJson()), name);
    }
    assertEquals(Task.RETRIEVAL, ModelConfigs.load("lra_retrieval").task());
    assertEquals(30, ModelConfigs.load("causal_ls_lm_30x512").layers());
    assertRejected(() -> ModelConfigs.load("lra_nonsense"), "lra_nonsense", "lra_listops");
  }

  @Test
  void baselineKindsRoundTripAndLinformerLearnsTheModelsLength() {
    AttentionSpec linformer = AttentionSpec.linformer().setWidth(64).setHeads(2).setRank(16).build();
    ModelSpec m = classifier().setAttention(linformer).build();
    assertEquals(m, ModelSpec.parseJson(m.toJson()));
    assertEquals(2048, m.attentionFor(1).maxLength(), "E is learned for the model's maxLength");
    assertEquals(0, m.attention().maxLength(), "the model's own spec keeps 0 (= the model's length)");
    assertRejected(() -> classifier().setAttention(linformer.toBuilder().optMaxLength(512).build()).build(),
        "attention.maxLength (512) must be 0 or the model's maxLength (2048)");
    ModelSpec nystrom = classifier().setAttention(AttentionSpec.nystrom().setWidth(64).setHeads(2).setLandmarks(8)
        .optConvKernel(3).build()).build();
    assertEquals(nystrom, ModelSpec.parseJson(nystrom.toJson()));
    assertEquals(PseudoInverseStart.ROW, nystrom.forServing().attentionFor(0).inverseStart());
    assertEquals(PseudoInverseStart.BATCH, nystrom.attentionFor(0).inverseStart());
    assertEquals(m, m.forServing(), "forServing changes nothing but Nystrom");
    assertRejected(() -> classifier().setAttention(linformer).optPooling(Pooling.CLS_LAST_LAYER).build(),
        "gives layer 1 a CLS token, which only long_short attention takes (it is linformer)");
  }

  @Test
  void perLayerAttentionGetsThePoolingsClsToken() {
    ModelSpec last = classifier().optPooling(Pooling.CLS_LAST_LAYER).build();
    assertEquals(GlobalToken.NONE, last.attentionFor(0).globalToken());
    assertEquals(GlobalToken.INPUT, last.attentionFor(1).globalToken());
    ModelSpec cls = classifier().optPooling(Pooling.CLS).build();
    assertEquals(GlobalToken.FIRST_ROW, cls.attentionFor(0).globalToken());
    assertEquals(2047, cls.maxTokens());
  }

  @Test
  void badSpecsNameTheFieldAndValue() {
    assertRejected(() -> classifier().setAttention(LS.toBuilder().setWidth(32).setHeads(2).build()).build(),
        "attention.width (32) must equal width (64)");
    assertRejected(() -> classifier().setClasses(1).build(), "classes (1) must be >= 2");
    assertRejected(() -> classifier().setLayers(0).build(), "layers (0) must be >= 1");
    assertRejected(() -> classifier().optDropout(1.0).build(), "dropout (1.0)");
    assertRejected(() -> classifier().setAttention(AttentionSpec.causalLongShort().setWidth(64).setHeads(2)
        .setWindow(8).setSegment(4).setRank(1).build()).build(), "is causal");
    assertRejected(() -> classifier().optPooling(Pooling.CLS_TOKEN)
        .setAttention(AttentionSpec.full().setWidth(64).setHeads(2).build()).build(), "only long_short");
    assertRejected(() -> classifier().optAttentionPerLayer(List.of(LS)).build(), "attentionPerLayer has 1 entries");
    assertRejected(() -> ModelSpec.languageModel().setVocabSize(256).setMaxLength(64).setWidth(64).setLayers(1)
        .setHiddenWidth(64).setAttention(LS).build(), "must be causal_long_short or causal_full");
    assertRejected(() -> ModelSpec.parseJson("{\"task\":\"classifier\",\"vocabSize\":18}"), "maxLength");
  }
}
