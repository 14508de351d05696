package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Model surgery from Java: {@link ModelSpec#withAttention}, {@link AttentionSpec#withKind} and the
 * {@code with...} methods the CLI's options call.
 */
class ModelSurgeryTest {
  private static ModelSpec model(Pooling pooling) {
    AttentionSpec ls = AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4).setRank(2).build();
    return ModelSpec.classifier().setVocabSize(8).setMaxLength(32).setWidth(16).setLayers(2).setHiddenWidth(32)
        .setAttention(ls).optAttentionPerLayer(List.of(AttentionSpec.full().setWidth(16).setHeads(2).build(), ls))
        .setClasses(2).optPooling(pooling).build();
  }

  @Test
  void everyLayerGetsTheNewAttentionAndALearnedClsBecomesACls() {
    ModelSpec m = model(Pooling.CLS_LAST_LAYER);
    AttentionSpec full = m.attention().withKind(AttentionKind.FULL);
    assertEquals(AttentionKind.FULL, full.kind());
    assertEquals(16, full.width());
    assertEquals(2, full.heads());
    ModelSpec swapped = m.withAttention(full);
    assertNull(swapped.attentionPerLayer());
    assertEquals(full, swapped.attentionFor(0));
    assertEquals(full, swapped.attentionFor(1));
    assertEquals(Pooling.CLS, swapped.pooling(), "a learned CLS vector needs long-short attention");
    assertEquals(m.width(), swapped.width());
    assertEquals(ModelSpec.parseJson(swapped.toJson()), swapped, "round-trips through JSON");
  }

  @Test
  void longShortKeepsItsWindowAndRankAndThePooling() {
    ModelSpec m = model(Pooling.MEAN);
    AttentionSpec again = m.attention().withKind(AttentionKind.LONG_SHORT);
    assertEquals(4, again.window());
    assertEquals(2, again.rank());
    ModelSpec wider = m.withAttention(m.attention().toBuilder().setWindow(8).build());
    assertEquals(8, wider.attentionFor(0).window());
    assertEquals(Pooling.MEAN, wider.pooling());
  }

  @Test
  void aNewKindTakesItsDefaultsAtTheModelsWidthAndHeadsThenTheSettings() {
    ModelSpec m = model(Pooling.MEAN);
    ModelSpec nystrom = m.withAttention(AttentionKind.NYSTROM, a -> { });
    assertEquals(AttentionKind.NYSTROM, nystrom.attention().kind());
    assertEquals(16, nystrom.attention().width());
    assertEquals(2, nystrom.attention().heads());
    assertEquals(AttentionDefaults.NYSTROM_LANDMARKS, nystrom.attention().landmarks());
    assertNull(nystrom.attentionPerLayer());
    assertEquals(8, m.withAttention(AttentionKind.NYSTROM, a -> a.setLandmarks(8)).attention().landmarks());
    ModelSpec linformer = m.withAttention(AttentionKind.LINFORMER, a -> a.setRank(4).optConvKernel(3));
    assertEquals(4, linformer.attention().rank());
    assertEquals(3, linformer.attention().convKernel());
  }

  @Test
  void noKindKeepsTheAttentionAndChangesOnlyWhatTheSettingsSet() {
    ModelSpec m = model(Pooling.MEAN);
    ModelSpec wider = m.withAttention(null, a -> a.setWindow(8));
    assertEquals(m.attention().toBuilder().setWindow(8).build(), wider.attention());
    assertEquals(m.withAttention(m.attention()), m.withAttention(null, a -> { }));
  }

  @Test
  void longformerUnderAClsRowGetsOneGlobalTokenUnlessTheSettingsSayOtherwise() {
    ModelSpec learned = model(Pooling.CLS_LAST_LAYER).withAttention(AttentionKind.LONGFORMER, a -> { });
    assertEquals(Pooling.CLS, learned.pooling());
    assertEquals(1, learned.attention().globalTokens(), "the CLS row in front attends globally");
    assertEquals(1, model(Pooling.CLS).withAttention(AttentionKind.LONGFORMER, a -> { }).attention().globalTokens());
    assertEquals(0, model(Pooling.MEAN).withAttention(AttentionKind.LONGFORMER, a -> { }).attention().globalTokens());
    assertEquals(2, model(Pooling.CLS).withAttention(AttentionKind.LONGFORMER, a -> a.optGlobalTokens(2))
        .attention().globalTokens());
    // only a kind switched to Longformer gets the global token, as the CLI's --attention longformer
    ModelSpec longformer = model(Pooling.MEAN).withAttention(AttentionKind.LONGFORMER, a -> { });
    assertEquals(0, longformer.toBuilder().optPooling(Pooling.CLS).build().withAttention(null, a -> { })
        .attention().globalTokens());
  }

  @Test
  void scalarSurgeryValidatesAsTheBuilderDoes() {
    ModelSpec m = model(Pooling.MEAN);
    assertEquals(0.25, m.withDropout(0.25).dropout());
    assertEquals(64, m.withMaxLength(64).maxLength());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.withDropout(1.5));
    assertEquals(assertThrows(IllegalArgumentException.class, () -> m.toBuilder().optDropout(1.5).build())
        .getMessage(), e.getMessage());
  }

  @Test
  void specsCompareAsValues() {
    ModelSpec a = model(Pooling.MEAN);
    ModelSpec b = model(Pooling.MEAN);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, a.withDropout(0.25));
    assertNotEquals(a, model(Pooling.CLS));
    assertNotEquals(a, a.withAttention(null, x -> x.setWindow(8)));
    assertEquals(a, ModelSpec.parseJson(a.toJson()));
  }
}
