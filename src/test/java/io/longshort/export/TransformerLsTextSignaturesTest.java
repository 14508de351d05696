package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.data.FairseqDictionary;
import io.longshort.data.FairseqTokenizer;
import io.longshort.data.TokenEncoding;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsServingModel;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The text signatures of the authors' LM read through an imported model's fairseq dictionary (the
 * golden stream's weights, vocabulary 20: a text8-style dict.txt of 16 characters): the dictionary
 * is the {@code vocabulary.txt} asset the graph's byte table is filled from, score_text's log-probs
 * are the {@code score} signature's for {@link FairseqTokenizer}'s ids of the same strings, and
 * generate_text's continuation is the bytes of the {@code generate} signature's greedy tokens for
 * those ids.
 */
class TransformerLsTextSignaturesTest {
  private static final int BATCH = 2;

  @Test
  void fairseqDictionaryTextSignaturesMatchTheIdSignatures(@TempDir Path dir) throws Exception {
    Path file = Golden.dir().resolve("lm").resolve("lm_stream4_w8_c4_r1_mem24.safetensors");
    Path dict = dir.resolve("dict.txt");
    Files.writeString(dict, String.join("\n", List.of("a 90", "b 80", "c 70", "d 60", "e 55", "f 50", "g 45",
        "h 40", "i 35", "j 30", "k 25", "l 20", "m 15", "n 10", "o 5", "_ 99")) + "\n");
    FairseqTokenizer tok = new FairseqTokenizer(FairseqDictionary.read(dict));
    Path version;
    int c;
    int m;
    try (Safetensors st = Safetensors.open(file)) {
      TransformerLsSpec spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
      assertEquals(FairseqDictionary.read(dict).size(), spec.vocabSize());
      m = Math.toIntExact(st.info("input.block_0").shape()[1]);
      c = 4 * m;
      try (TransformerLsServingModel<TFloat32> model = TransformerLsServingModel.build(spec, TFloat32.class, BATCH, c,
          m, tok)) {
        WeightLoader.load(model.session(), model.parameters(), st);
        version = Export.of(model).to(dir.resolve("savedmodels"), "lm");
      }
    }
    assertEquals(String.join("\n", tok.vocabularyLines()) + "\n",
        Files.readString(version.resolve("assets").resolve(SavedModelWriter.VOCABULARY_ASSET)));

    // a newline (</s>), bytes the dictionary lacks (<unk>), and a text longer than C
    byte[][] texts = {"abc de\nfgh q\u00e9".getBytes(StandardCharsets.UTF_8),
        "hello world, ".repeat(c / 10).getBytes(StandardCharsets.UTF_8)};
    try (SavedModelBundle b = SavedModelBundle.load(version.toString(), SavedModelWriter.TAG)) {
      MetaGraphDef meta = b.metaGraphDef();
      int[] ids = new int[BATCH * c];
      int[][] masks = new int[BATCH][];
      for (int r = 0; r < BATCH; r++) {
        TokenEncoding e = tok.encode(texts[r], c);
        System.arraycopy(e.ids(), 0, ids, r * c, c);
        masks[r] = e.mask();
      }
      SignatureDef score = meta.getSignatureDefOrThrow(TransformerLsServingModel.SCORE);
      double[] lp;
      try (Tensor t = HostTensors.ints(new long[] {BATCH, c}, ids)) {
        lp = (double[]) TextSignaturesExportTest.run(b.session(), Map.of(score.getInputsOrThrow("tokens").getName(), t),
            List.of(score.getOutputsOrThrow("logprobs").getName())).get(0);
      }
      SignatureDef scoreText = meta.getSignatureDefOrThrow(TextSignatures.SCORE_TEXT);
      List<Object> got;
      try (Tensor t = TString.tensorOfBytes(NdArrays.vectorOfObjects(texts))) {
        got = TextSignaturesExportTest.run(b.session(), Map.of(scoreText.getInputsOrThrow("text").getName(), t),
            List.of(scoreText.getOutputsOrThrow("log_probs").getName(), scoreText.getOutputsOrThrow("bits").getName(),
                scoreText.getOutputsOrThrow("scored").getName(), scoreText.getOutputsOrThrow("truncated").getName()));
      }
      double[] logProbs = (double[]) got.get(0);
      for (int r = 0; r < BATCH; r++) {
        double bits = 0;
        int scored = 0;
        for (int t = 0; t < c - 1; t++) {
          double want = masks[r][t + 1] == 1 ? lp[r * c + t + 1] : 0;
          assertEquals(want, logProbs[r * (c - 1) + t], 1e-6, "row " + r + " token " + (t + 1));
          bits -= want / Math.log(2);
          scored += masks[r][t + 1];
        }
        assertEquals(bits, ((double[]) got.get(1))[r], 1e-4);
        assertEquals(scored, ((double[]) got.get(2))[r]);
      }
      assertArrayEquals(new double[] {0, texts[1].length - c}, (double[]) got.get(3), 0.0);

      // generate_text: the prompts' first C - new tokens, greedy, the new tokens' bytes
      int newBytes = Math.min(TextSignatures.GENERATE_NEW_BYTES, c / 2);
      int p = c - newBytes;
      SignatureDef genText = meta.getSignatureDefOrThrow(TextSignatures.GENERATE_TEXT);
      String[] continuation;
      try (Tensor t = TString.tensorOfBytes(NdArrays.vectorOfObjects(texts))) {
        Object[] out = (Object[]) TextSignaturesExportTest.run(b.session(),
            Map.of(genText.getInputsOrThrow("text").getName(), t),
            List.of(genText.getOutputsOrThrow("continuation").getName())).get(0);
        continuation = (String[]) out;
      }
      int[] prompts = new int[BATCH * p];
      int[] lengths = new int[BATCH];
      for (int r = 0; r < BATCH; r++) {
        TokenEncoding e = tok.encode(texts[r], p);
        System.arraycopy(e.ids(), 0, prompts, r * p, p);
        lengths[r] = Math.min(e.tokens(), p);
      }
      SignatureDef gen = meta.getSignatureDefOrThrow(TransformerLsServingModel.GENERATE);
      double[] newTokens;
      try (Tensor pr = HostTensors.ints(new long[] {BATCH, p}, prompts);
          Tensor pl = HostTensors.ints(new long[] {BATCH}, lengths);
          Tensor mn = HostTensors.ints(new long[] {BATCH}, new int[] {newBytes, newBytes});
          Tensor temp = TFloat32.vectorOf(0f, 0f);
          Tensor topK = org.tensorflow.types.TInt32.vectorOf(0, 0);
          Tensor seed = org.tensorflow.types.TInt64.vectorOf(0L, 0L)) {
        newTokens = (double[]) TextSignaturesExportTest.run(b.session(), Map.of(
            gen.getInputsOrThrow("prompt_ids").getName(), pr, gen.getInputsOrThrow("prompt_lengths").getName(), pl,
            gen.getInputsOrThrow("max_new_tokens").getName(), mn, gen.getInputsOrThrow("temperature").getName(), temp,
            gen.getInputsOrThrow("top_k").getName(), topK, gen.getInputsOrThrow("seed").getName(), seed),
            List.of(gen.getOutputsOrThrow("new_tokens").getName())).get(0);
      }
      int perRow = newTokens.length / BATCH;
      for (int r = 0; r < BATCH; r++) {
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (int k = 0; k < perRow; k++) {
          int byteOf = tok.byteOfId((int) newTokens[r * perRow + k]);
          if (byteOf >= 0) {
            want.write(byteOf);
          }
        }
        assertEquals(want.toString(StandardCharsets.UTF_8), continuation[r], "row " + r);
      }
      assertEquals(newBytes, perRow, "new tokens per row");
      assertTrue(!continuation[0].isEmpty() || !continuation[1].isEmpty(), "greedy tokens that stand for bytes");
      System.out.printf("generate_text: %s%n", java.util.Arrays.toString(continuation));
    }
  }
}
