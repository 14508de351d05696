package io.longshort.graph.decode;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.decode.Generation;
import io.longshort.graph.model.ModelGraph;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The in-graph While loop: greedy tokens equal those of the full causal graph run on each growing
 * prefix (argmax of its last row), for two rows with prompts of different lengths crossing
 * segment and window boundaries; sampling is reproducible from its seed and top-k 1 is greedy.
 */
class GenerationTest {
  static final int CAPACITY = 30;

  static ModelSpec spec() {
    return ModelSpec.languageModel().setVocabSize(13).setMaxLength(CAPACITY).setWidth(8).setLayers(2)
        .setHiddenWidth(16).setAttention(AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4)
            .setSegment(3).setRank(1).build()).build();
  }

  /** A model graph of length C with a generate loop beside it, sharing its variables. */
  static final class Harness implements AutoCloseable {
    final ModelGraph<TFloat32> g;
    final Placeholder<TInt32> prompt;
    final Placeholder<TInt32> lengths;
    final Placeholder<TInt32> maxNew;
    final Placeholder<TFloat32> temperature;
    final Placeholder<TInt32> topK;
    final Placeholder<TInt64> seed;
    final Generation.Outputs out;

    Harness(ModelSpec spec, long weightSeed) {
      g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(CAPACITY).optSeed(weightSeed).build();
      Ops tf = Ops.create(g.graph()).withSubScope("generate");
      prompt = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
      lengths = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      maxNew = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      temperature = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
      topK = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
      seed = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      out = Generation.build(tf, g.parameters(), spec, CAPACITY,
          new Generation.Inputs(prompt, lengths, maxNew, temperature, topK, seed));
    }

    int[] generate(int[][] prompts, int[] lens, int newTokens, float temp, int k, long s) {
      return generate(prompts, lens, new int[] {newTokens, newTokens}, new float[] {temp, temp}, new int[] {k, k},
          new long[] {s, s}, newTokens);
    }

    int[] generate(int[][] prompts, int[] lens, int[] newTokens, float[] temp, int[] k, long[] s, int width) {
      int p = prompts[0].length;
      int[] flat = new int[prompts.length * p];
      for (int b = 0; b < prompts.length; b++) {
        System.arraycopy(prompts[b], 0, flat, b * p, p);
      }
      try (TInt32 pt = HostTensors.ints(new long[] {prompts.length, p}, flat);
          TInt32 lt = HostTensors.ints(new long[] {prompts.length}, lens);
          TInt32 mt = TInt32.vectorOf(newTokens); TFloat32 tt = TFloat32.vectorOf(temp);
          TInt32 kt = TInt32.vectorOf(k); TInt64 st = TInt64.vectorOf(s);
          Result r = g.session().runner().feed(prompt, pt).feed(lengths, lt).feed(maxNew, mt).feed(temperature, tt)
              .feed(topK, kt).feed(seed, st).fetch(out.newTokens()).run()) {
        assertEquals(Shape.of(prompts.length, width), r.get(0).shape());
        return HostTensors.toInts(r.get(0));
      }
    }

    /** Greedy decoding by the full graph: argmax of row len-1, one token at a time. */
    int[] referenceGreedy(int[] prompt, int len, int newTokens) {
      int v = g.spec().vocabSize();
      int[] buf = new int[CAPACITY];
      System.arraycopy(prompt, 0, buf, 0, len);
      int[] out = new int[newTokens];
      for (int j = 0; j < newTokens; j++) {
        int row = len + j - 1;
        double[] logits = g.logits(1, Map.of("input_ids", buf));
        int best = 0;
        for (int c = 1; c < v; c++) {
          if (logits[row * v + c] > logits[row * v + best]) {
            best = c;
          }
        }
        out[j] = best;
        buf[row + 1] = best;
      }
      return out;
    }

    @Override
    public void close() {
      g.close();
    }
  }

  @Test
  void greedyLoopEqualsFullGraphAndSamplingIsSeeded() {
    try (Harness h = new Harness(spec(), 11)) {
      int[][] prompts = {{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 0, 0, 0, 0, 0}};
      int[] lens = {8, 3};
      int newTokens = 14;
      int[] got = h.generate(prompts, lens, newTokens, 0f, 0, 0);
      for (int b = 0; b < 2; b++) {
        int[] want = h.referenceGreedy(prompts[b], lens[b], newTokens);
        assertArrayEquals(want, Arrays.copyOfRange(got, b * newTokens, (b + 1) * newTokens), "row " + b);
      }
      // top-k 1 at any temperature is greedy
      assertArrayEquals(got, h.generate(prompts, lens, newTokens, 1.5f, 1, 3));
      int[] a = h.generate(prompts, lens, newTokens, 1.0f, 0, 42);
      assertArrayEquals(a, h.generate(prompts, lens, newTokens, 1.0f, 0, 42), "same seed, same tokens");
      assertTrue(!Arrays.equals(a, h.generate(prompts, lens, newTokens, 1.0f, 0, 43)), "another seed differs");
      for (int t : h.generate(prompts, lens, newTokens, 1.0f, 4, 7)) {
        assertTrue(t >= 0 && t < 13, "token " + t);
      }
      // per row: row 1 greedy with 5 new tokens, row 0 sampled with 9; row 1 = its greedy tokens, then -1
      int[] mixed = h.generate(prompts, lens, new int[] {9, 5}, new float[] {1f, 0f}, new int[] {0, 0},
          new long[] {42, 0}, 9);
      assertArrayEquals(Arrays.copyOfRange(got, newTokens, newTokens + 5), Arrays.copyOfRange(mixed, 9, 14));
      assertArrayEquals(new int[] {-1, -1, -1, -1}, Arrays.copyOfRange(mixed, 14, 18));
      assertArrayEquals(Arrays.copyOfRange(a, 0, 9), Arrays.copyOfRange(mixed, 0, 9),
          "a row's samples do not depend on the other rows");
      // past the capacity: -1
      int[] clipped = h.generate(prompts, lens, CAPACITY, 0f, 0, 0);
      assertEquals(-1, clipped[CAPACITY - 1], "row 0 runs out of positions");
      assertTrue(clipped[List.of(0).size() * CAPACITY + CAPACITY - 8] >= 0);
    }
  }
}
