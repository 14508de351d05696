package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Replacing every layer's attention from Java: {@link ModelSpec#withAttention}, {@link AttentionSpec#withKind}. */
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
}
