package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.longshort.data.ByteCorpus;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * Sliding-window bits per character: every byte predicted once; stride = context equals the plain
 * non-overlapping evaluation computed here window by window; a shorter stride scores the same
 * bytes with more context (a different number, more windows).
 */
class SlidingWindowEvalTest {
  @TempDir
  Path dir;

  @Test
  void slidingWindowScoresEveryByteOnce() throws Exception {
    int n = 12;
    ModelSpec spec = ModelSpec.languageModel().setVocabSize(256).setMaxLength(n).setWidth(8).setLayers(1)
        .setHiddenWidth(16).setAttention(AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4)
            .setSegment(3).setRank(1).build()).build();
    byte[] text = new byte[200];
    Random rnd = new Random(3);
    for (int i = 0; i < text.length; i++) {
      text[i] = (byte) ('a' + rnd.nextInt(6));
    }
    Path file = dir.resolve("corpus.txt");
    Files.write(file, text);
    // the whole file as the test split
    try (ByteCorpus corpus = ByteCorpus.open(file, 0, 0, text.length);
        ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(n).optSeed(4).build()) {
      long total = 6L * n;
      SlidingWindowEval.Result plain = SlidingWindowEval.evaluate(g, corpus, ByteCorpus.Split.TEST, n, total, 4);
      assertEquals(total, plain.scored());
      assertEquals(6, plain.windows());
      double nats = 0;
      for (int w = 0; w < 6; w++) {
        int[] ids = new int[n];
        for (int t = 0; t < n; t++) {
          ids[t] = text[w * n + t] & 0xff;
        }
        double[] logits = g.logits(1, Map.of("input_ids", ids));
        for (int t = 0; t < n; t++) {
          double z = 0;
          for (int c = 0; c < 256; c++) {
            z += Math.exp(logits[t * 256 + c]);
          }
          nats += Math.log(z) - logits[t * 256 + (text[w * n + t + 1] & 0xff)];
        }
      }
      assertEquals(nats / total / Math.log(2), plain.bitsPerCharacter(), 1e-5);

      SlidingWindowEval.Result sliding = SlidingWindowEval.evaluate(g, corpus, ByteCorpus.Split.TEST, 4, 0, 3);
      assertEquals(text.length - 1, sliding.scored());
      // first window 12 predictions, then 4 each: (199 - 12) / 4 rounded up
      assertEquals(1 + (199 - 12 + 3) / 4, sliding.windows());
      assertNotEquals(plain.bitsPerCharacter(), sliding.bitsPerCharacter());
      assertThrows(IllegalArgumentException.class,
          () -> SlidingWindowEval.evaluate(g, corpus, ByteCorpus.Split.TEST, n + 1, 0, 2));
    }
  }
}
