package io.longshort.graph.model;

import io.longshort.graph.core.Embeddings;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.model.ModelGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Positions;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/** Sinusoidal positions, tied embeddings and causality of whole language models. */
class ModelPartsTest {
  static final int V = 11;
  static final int N = 40;

  /** embeddings(ids) - word_embeddings[ids] is the authors' interleaved sin/cos table, odd width too. */
  @Test
  void sinusoidalPositionsFollowTheFormula() {
    for (int d : new int[] {8, 7}) {
      try (Graph g = new Graph()) {
        Parameters<TFloat64> params = new Parameters<>(g, TFloat64.class, 1);
        GraphScope<TFloat64> root = GraphScope.root(params);
        var ids = root.tf().placeholder(TInt32.class, Placeholder.shape(Shape.of(1, N)));
        Embeddings<TFloat64> emb = new Embeddings<>(root.child("embeddings"), V, d, 64, Positions.SINUSOIDAL);
        Operand<TFloat64> out = emb.apply(ids);
        assertEquals(1, params.list().size(), "no position parameters");
        try (Session s = new Session(g)) {
          s.initialize();
          int[] idv = new int[N];
          for (int t = 0; t < N; t++) {
            idv[t] = t % V;
          }
          try (var it = HostTensors.ints(new long[] {1, N}, idv);
              var r = s.runner().feed(ids, it).fetch(out).fetch(emb.table()).run()) {
            double[] y = HostTensors.toDoubles(r.get(0));
            double[] table = HostTensors.toDoubles(r.get(1));
            for (int t = 0; t < N; t++) {
              for (int j = 0; j < d; j++) {
                double freq = Math.exp(2 * (j / 2) * -(Math.log(10000.0) / d));
                double expected = j % 2 == 0 ? Math.sin(t * freq) : Math.cos(t * freq);
                double pos = y[t * d + j] - table[idv[t] * d + j];
                assertEquals(expected, pos, 1e-5, "d=" + d + " t=" + t + " j=" + j);
              }
            }
          }
        }
      }
    }
  }

  private static ModelSpec lm(boolean tied, AttentionSpec attention) {
    return ModelSpec.languageModel().setVocabSize(V).setMaxLength(N).setWidth(16).setLayers(2).setHiddenWidth(32)
        .setAttention(attention).optTiedEmbeddings(tied).optPositions(Positions.SINUSOIDAL).build();
  }

  /** Changing the bytes after t leaves the logits up to t alone, for both causal kinds, tied or not. */
  @Test
  void languageModelsAreCausal() {
    AttentionSpec ls = AttentionSpec.causalLongShort().setWidth(16).setHeads(2).setWindow(6).setSegment(4).setRank(1).build();
    AttentionSpec full = AttentionSpec.causalFull().setWidth(16).setHeads(2).build();
    Random rnd = new Random(4);
    for (ModelSpec spec : new ModelSpec[] {lm(true, ls), lm(false, ls), lm(true, full)}) {
      try (ModelGraph<TFloat64> g = ModelGraph.builder(spec).setDtype(TFloat64.class).setBatch(1).setLength(N).optSeed(9).build()) {
        assertEquals(spec.tiedEmbeddings(), !g.parameters().asMap().containsKey("lm_head.weight"));
        int[] a = new int[N];
        for (int i = 0; i < N; i++) {
          a[i] = rnd.nextInt(V);
        }
        int t = 17;
        int[] b = a.clone();
        for (int i = t + 1; i < N; i++) {
          b[i] = (a[i] + 1 + rnd.nextInt(V - 1)) % V;
        }
        double[] la = g.logits(1, Map.of("input_ids", a));
        double[] lb = g.logits(1, Map.of("input_ids", b));
        for (int i = 0; i <= t * V + V - 1; i++) {
          assertEquals(la[i], lb[i], 1e-12, "logit " + i + " (position " + i / V + ")");
        }
        boolean later = false;
        for (int i = (t + 1) * V; i < la.length; i++) {
          later |= la[i] != lb[i];
        }
        assertTrue(later, "later positions do depend on the changed bytes");
      }
    }
  }

  /** Tied logits are the final hidden states times the embedding table. */
  @Test
  void tiedEmbeddingsShareTheTable() {
    ModelSpec tied = lm(true, AttentionSpec.causalFull().setWidth(16).setHeads(2).build());
    ModelSpec untied = lm(false, AttentionSpec.causalFull().setWidth(16).setHeads(2).build());
    try (ModelGraph<TFloat64> a = ModelGraph.builder(tied).setDtype(TFloat64.class).setBatch(1).setLength(N).optSeed(2).build();
        ModelGraph<TFloat64> b = ModelGraph.builder(untied).setDtype(TFloat64.class).setBatch(1).setLength(N).optSeed(2).build()) {
      assertEquals(b.parameters().count() - a.parameters().count(), V * 16 + V, "lm_head weight and bias");
      assertFalse(a.parameters().asMap().containsKey("lm_head.bias"));
      assertNotEquals(a.parameters().count(), b.parameters().count());
    }
  }
}
