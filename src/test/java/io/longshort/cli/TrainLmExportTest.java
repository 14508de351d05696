package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.export.Export;
import io.longshort.export.SavedModelWriter;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.graph.model.TransformerLsServingModel;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;

/**
 * A train-lm run exported with {@code export --run} and {@code Export.fromRun}: the SavedModel's
 * {@code score} log-probs for a corpus stretch equal the Java model's own block-by-block scoring
 * of it (the checkpoint's weights, the cache carried from block to block), score_text's log-probs
 * are score's for the strings' bytes (train-lm reads each byte as its id), and the options that do
 * not fit the authors' LM are refused by name.
 */
class TrainLmExportTest {
  private static final int BATCH = 2;
  private static final int BLOCKS = 3;

  @Test
  void exportedScoreSignatureGivesTheJavaModelsLogProbs(@TempDir Path dir) throws Exception {
    Path setting = dir.resolve("tiny.json");
    Files.writeString(setting, TrainLmCommandTest.tinySetting().toJson());
    byte[] bytes = new byte[2000];
    new Random(5).nextBytes(bytes);
    Path corpus = dir.resolve("corpus.bin");
    Files.write(corpus, bytes);
    Path runDir = dir.resolve("run");
    String[] trained = TrainLmCommandTest.run(TrainLmCommandTest.trainArgs(setting, corpus, runDir, 3));
    assertEquals("0", trained[0], trained[2]);
    Path checkpoint = runDir.resolve("checkpoints/ckpt-3.safetensors");
    int m;
    TransformerLsSpec spec;
    try (Safetensors st = Safetensors.open(checkpoint)) {
      assertEquals("transformer_ls", st.metadata().get("family"), "train-lm records its family");
      m = Integer.parseInt(st.metadata().get("block"));
      spec = TransformerLsSpec.parseJson(st.metadata().get("model"));
    }
    int c = BLOCKS * m;

    String[] refused = TrainLmCommandTest.run("export", "--run", runDir.toString(), "--out", dir.resolve("x").toString(),
        "--length", Integer.toString(c + 1));
    assertEquals("2", refused[0]);
    assertTrue(refused[2].contains("length (" + (c + 1) + ") must be a positive multiple of the run's block (" + m
        + ")"), refused[2]);
    refused = TrainLmCommandTest.run("export", "--run", runDir.toString(), "--out", dir.resolve("x").toString(),
        "--max-new-tokens-cap", "4");
    assertEquals("2", refused[0]);
    assertTrue(refused[2].contains("--max-new-tokens-cap"), refused[2]);
    refused = TrainLmCommandTest.run("export", "--run", runDir.toString(), "--out", dir.resolve("x").toString(),
        "--xla");
    assertEquals("2", refused[0]);
    assertTrue(refused[2].contains("xla: the authors' LM's score signature"), refused[2]);
    assertTrue(!Files.exists(dir.resolve("x/" + runDir.getFileName() + "/1")), "nothing written");

    String[] exported = TrainLmCommandTest.run("export", "--run", runDir.toString(), "--out",
        dir.resolve("savedmodels").toString(), "--name", "lm", "--batch", Integer.toString(BATCH), "--length",
        Integer.toString(c));
    assertEquals("0", exported[0], exported[2]);
    Path cliVersion = dir.resolve("savedmodels/lm/1");
    Path javaVersion = Export.fromRun(runDir).optBatch(BATCH).optLength(c).to(dir.resolve("savedmodels"), "lm_java");

    int[] tokens = new int[BATCH * c];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = bytes[100 + i] & 0xFF; // train-lm reads bytes as ids
    }
    double[] want = javaScoring(spec, checkpoint, m, c, tokens);
    assertTrue(want[1] < 0 && want[c + c - 1] < 0, "log-probs of real tokens are negative");
    for (Path version : new Path[] {cliVersion, javaVersion}) {
      try (SavedModelBundle bundle = SavedModelBundle.load(version.toString(), SavedModelWriter.TAG);
          Tensor in = HostTensors.ints(new long[] {BATCH, c}, tokens)) {
        SignatureDef sig = bundle.metaGraphDef().getSignatureDefMap().get(TransformerLsServingModel.SCORE);
        assertTrue(bundle.metaGraphDef().getSignatureDefMap().containsKey(TransformerLsServingModel.GENERATE));
        assertTrue(Files.size(version.resolve("assets.extra/tf_serving_warmup_requests")) > 0);
        try (var r = bundle.session().runner().feed(sig.getInputsMap().get("tokens").getName(), in)
            .fetch(sig.getOutputsMap().get("logprobs").getName()).run()) {
          double[] got = HostTensors.toDoubles(r.get(0));
          double worst = 0;
          for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
          }
          assertTrue(worst <= 1e-5, version + ": max abs error " + worst);
        }
        scoreTextIsScoreOfTheBytes(bundle, c);
      }
    }
  }

  /** score_text of two strings (one longer than C) == score's log-probs of their bytes as ids, from token 1 on. */
  private static void scoreTextIsScoreOfTheBytes(SavedModelBundle bundle, int c) {
    byte[][] texts = {"hello, \u00e9 \0 world".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "0123456789".repeat(c / 10 + 1).getBytes(java.nio.charset.StandardCharsets.UTF_8)};
    int[] ids = new int[BATCH * c];
    int[][] masks = new int[BATCH][];
    for (int r = 0; r < BATCH; r++) {
      io.longshort.data.TokenEncoding e = io.longshort.data.ByteTokenizer.LANGUAGE_MODEL.encode(texts[r], c);
      System.arraycopy(e.ids(), 0, ids, r * c, c);
      masks[r] = e.mask();
    }
    var meta = bundle.metaGraphDef().getSignatureDefMap();
    SignatureDef score = meta.get(TransformerLsServingModel.SCORE);
    SignatureDef text = meta.get(io.longshort.export.TextSignatures.SCORE_TEXT);
    assertTrue(meta.containsKey(io.longshort.export.TextSignatures.GENERATE_TEXT), "generate_text");
    try (Tensor in = HostTensors.ints(new long[] {BATCH, c}, ids);
        Tensor strings = org.tensorflow.types.TString.tensorOfBytes(org.tensorflow.ndarray.NdArrays.vectorOfObjects(texts));
        var r = bundle.session().runner().feed(score.getInputsMap().get("tokens").getName(), in)
            .feed(text.getInputsMap().get("text").getName(), strings)
            .fetch(score.getOutputsMap().get("logprobs").getName())
            .fetch(text.getOutputsMap().get("log_probs").getName())
            .fetch(text.getOutputsMap().get("truncated").getName()).run()) {
      double[] lp = HostTensors.toDoubles(r.get(0));
      double[] got = HostTensors.toDoubles(r.get(1));
      for (int row = 0; row < BATCH; row++) {
        for (int t = 0; t < c - 1; t++) {
          double want = masks[row][t + 1] == 1 ? lp[row * c + t + 1] : 0;
          assertEquals(want, got[row * (c - 1) + t], 1e-6, "row " + row + " byte " + (t + 1));
        }
      }
      assertArrayEquals(new int[] {0, texts[1].length - c}, HostTensors.toInts(r.get(2)));
    }
  }

  /**
   * log p(token i | the tokens before it) (B, C), 0 at i = 0: the training graph's model in
   * inference, block by block through its cache, as {@code eval --block} scores.
   */
  private static double[] javaScoring(TransformerLsSpec spec, Path checkpoint, int m, int c, int[] tokens)
      throws Exception {
    int v = spec.vocabSize();
    double[] out = new double[BATCH * c];
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.build(spec, TFloat32.class, BATCH, m, 0);
        Safetensors st = Safetensors.open(checkpoint)) {
      WeightLoader.load(lm.session(), lm.parameters(), st);
      TFloat32 cache = lm.zeroCache();
      for (int k = 0; k < c / m; k++) {
        int[] ids = new int[BATCH * m];
        for (int row = 0; row < BATCH; row++) {
          System.arraycopy(tokens, row * c + k * m, ids, row * m, m);
        }
        TransformerLsLm.Step<TFloat32> step = lm.run(ids, cache);
        cache.close();
        cache = step.nextCache();
        for (int row = 0; row < BATCH; row++) {
          for (int j = 0; j < m; j++) {
            int i = k * m + j + 1; // position j predicts token i
            if (i < c) {
              out[row * c + i] = step.logprobs()[(row * m + j) * v + tokens[row * c + i]];
            }
          }
        }
      }
      cache.close();
    }
    return out;
  }
}
