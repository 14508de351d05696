package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.types.TFloat32;

/** Whole models with the baseline kinds: one Linformer E per model, shorter inputs padded to it. */
class BaselineModelTest {
  static final AttentionSpec LINFORMER = AttentionSpec.linformer().setWidth(16).setHeads(2).setRank(8).build();

  private static List<Parameter<TFloat32>> projections(ModelGraph<TFloat32> g) {
    return g.parameters().list().stream().filter(p -> p.name().endsWith("attn.E")).toList();
  }

  @Test
  void everyLayerAndBothTowersShareOneE() {
    ModelSpec classifier = ModelSpec.classifier().setVocabSize(12).setMaxLength(32).setWidth(16).setLayers(3)
        .setHiddenWidth(32).setClasses(3).setAttention(LINFORMER).build();
    ModelSpec retrieval = ModelSpec.retrieval().setVocabSize(12).setMaxLength(32).setWidth(16).setLayers(2)
        .setHiddenWidth(32).setClasses(2).setAttention(LINFORMER).build();
    for (ModelSpec spec : List.of(classifier, retrieval)) {
      // N = 20 tokens: padded to the model's 32 inside each layer
      try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(2).setLength(20).optSeed(3).build()) {
        List<Parameter<TFloat32>> es = projections(g);
        assertEquals(1, es.size(), spec.task() + ": one E, got " + es.stream().map(Parameter::name).toList());
        assertTrue(es.get(0).name().endsWith("transformer_0.mha.attn.E"), es.get(0).name());
        assertEquals("[2, 8, 32]", Arrays.toString(es.get(0).shape()));
        int[] ids = new int[2 * 20];
        int[] mask = new int[2 * 20];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = 1 + i % 11;
          mask[i] = i % 20 < 15 + i / 20 ? 1 : 0;
        }
        Map<String, int[]> in = new java.util.LinkedHashMap<>();
        for (String name : g.inputs().keySet()) {
          in.put(name, name.startsWith("mask") ? mask : ids);
        }
        double[] logits = g.logits(2, in);
        assertEquals(2 * spec.classes(), logits.length);
        assertTrue(Arrays.stream(logits).allMatch(Double::isFinite), Arrays.toString(logits));
      }
    }
  }
}
