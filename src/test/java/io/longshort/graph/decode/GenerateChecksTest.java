package io.longshort.graph.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.BuiltModel;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The generate signature refuses, in the graph (so TF Serving does too), what the hostile
 * requests sent: a billion new tokens, prompt lengths past the ids sent, 0 and -1, and a prompt id
 * outside the vocabulary; each with INVALID_ARGUMENT naming the input. A good request still runs,
 * and padding after a row's prompt may hold anything.
 */
class GenerateChecksTest {
  static final int V = 11;
  static final int CAPACITY = 16;
  static final int CAP = 6;
  static ModelGraph<TFloat32> g;
  static ServableModel.Signature sig;

  @BeforeAll
  static void build() {
    ModelSpec spec = ModelSpec.languageModel().setVocabSize(V).setMaxLength(CAPACITY).setWidth(8).setLayers(1)
        .setHiddenWidth(16).setAttention(AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4)
            .setSegment(3).setRank(1).build()).build();
    g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(1).optMaxNewTokensCap(CAP).build();
    sig = g.generateSignature(null);
  }

  @AfterAll
  static void close() {
    g.close();
  }

  /** new_tokens of a two-row request; prompt ids (2, P) row-major. */
  static int[] run(int p, int[] ids, int[] lengths, int[] maxNew) {
    try (TInt32 pt = HostTensors.ints(new long[] {2, p}, ids); TInt32 lt = TInt32.vectorOf(lengths);
        TInt32 mt = TInt32.vectorOf(maxNew); TFloat32 tt = TFloat32.vectorOf(0f, 0f);
        TInt32 kt = TInt32.vectorOf(0, 0); TInt64 st = TInt64.vectorOf(1, 2);
        Result r = g.session().runner().feed(sig.inputs().get("prompt_ids"), pt)
            .feed(sig.inputs().get("prompt_lengths"), lt).feed(sig.inputs().get("max_new_tokens"), mt)
            .feed(sig.inputs().get("temperature"), tt).feed(sig.inputs().get("top_k"), kt)
            .feed(sig.inputs().get("seed"), st).fetch(sig.outputs().get("new_tokens")).run()) {
      return HostTensors.toInts(r.get(0));
    }
  }

  static String refusal(int p, int[] ids, int[] lengths, int[] maxNew) {
    return assertThrows(TFInvalidArgumentException.class, () -> run(p, ids, lengths, maxNew)).getMessage();
  }

  @Test
  void goodRequestRunsAndPaddingMayHoldAnything() {
    // row 1's prompt is 1 id long; its padding (999, -5) is outside the vocabulary and ignored
    int[] out = run(3, new int[] {1, 2, 3, 4, 999, -5}, new int[] {3, 1}, new int[] {CAP, 2});
    assertEquals(2 * CAP, out.length);
    for (int j = 0; j < CAP; j++) {
      assertTrue(out[j] >= 0 && out[j] < V, "row 0 token " + j + ": " + out[j]);
    }
    assertEquals(-1, out[CAP + 2], "row 1 asked for 2 new tokens");
  }

  @Test
  void maxNewTokensPastTheCapIsRefused() {
    String m = refusal(2, new int[] {1, 2, 3, 4}, new int[] {2, 2}, new int[] {1_000_000_000, 1});
    assertTrue(m.contains("max_new_tokens: every value must be in 0.." + CAP), m);
    assertTrue(m.contains("1000000000"), m);
    m = refusal(2, new int[] {1, 2, 3, 4}, new int[] {2, 2}, new int[] {CAP + 1, 1});
    assertTrue(m.contains("max_new_tokens"), m);
    assertTrue(refusal(2, new int[] {1, 2, 3, 4}, new int[] {2, 2}, new int[] {-1, 1}).contains("max_new_tokens"));
  }

  @Test
  void promptLengthsOutside1ToTheIdsSentAreRefused() {
    for (int bad : new int[] {3, 0, -1}) {
      String m = refusal(2, new int[] {1, 2, 3, 4}, new int[] {2, bad}, new int[] {1, 1});
      assertTrue(m.contains("prompt_lengths: every value must be in 1..the ids sent per row"), bad + ": " + m);
      assertTrue(m.contains(String.valueOf(bad)), m);
    }
  }

  @Test
  void promptIdsOutsideTheVocabularyAreRefused() {
    String m = refusal(2, new int[] {1, 300, 3, 4}, new int[] {2, 2}, new int[] {1, 1});
    assertTrue(m.contains("prompt_ids: the ids of every prompt (its first prompt_lengths) must be in 0.." + (V - 1)), m);
    assertTrue(m.contains("300"), m);
    assertTrue(refusal(2, new int[] {1, 2, -1, 4}, new int[] {2, 2}, new int[] {1, 1}).contains("prompt_ids"));
  }

  @Test
  void moreIdsThanTheCapacityAreRefused() {
    int p = CAPACITY + 1;
    String m = refusal(p, new int[2 * p], new int[] {1, 1}, new int[] {1, 1});
    assertTrue(m.contains("prompt_ids: at most " + CAPACITY + " ids per row"), m);
  }

  @Test
  void capOutsideTheCapacityIsRefusedAtBuild() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelGraph.builder(g.spec()).optMaxNewTokensCap(CAPACITY + 1));
    assertEquals("max new tokens cap (17) must be in 1..16 (the model's maxLength, its capacity)", e.getMessage());
  }
}
