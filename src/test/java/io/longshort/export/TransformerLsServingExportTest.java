package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsServingModel;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;

/**
 * The SavedModel {@code score} signature of the authors' LM, loaded back with SavedModelBundle:
 * the golden stream's 4 blocks sent as one request row each give, at every position after the
 * first, the golden log-prob of that token (the blocks and the cache streamed inside the graph).
 */
class TransformerLsServingExportTest {
  @Test
  void scoreSignatureGivesTheGoldenStreamsLogProbs(@TempDir Path dir) throws Exception {
    Path file = Golden.dir().resolve("lm").resolve("lm_stream4_w8_c4_r1_mem24.safetensors");
    try (Safetensors st = Safetensors.open(file)) {
      TransformerLsSpec spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
      int blocks = Integer.parseInt(st.metadata().get("blocks"));
      long[] shape = st.info("input.block_0").shape();
      int b = Math.toIntExact(shape[0]);
      int m = Math.toIntExact(shape[1]);
      int c = blocks * m;
      int v = spec.vocabSize();
      int[] tokens = new int[b * c];
      double[][] lp = new double[blocks][];
      for (int k = 0; k < blocks; k++) {
        int[] ids = st.readInts("input.block_" + k);
        lp[k] = st.readDoubles("output.logprobs_" + k);
        for (int row = 0; row < b; row++) {
          System.arraycopy(ids, row * m, tokens, row * c + k * m, m);
        }
      }
      Path saved;
      try (TransformerLsServingModel<org.tensorflow.types.TFloat32> model =
          TransformerLsServingModel.build(spec, org.tensorflow.types.TFloat32.class, b, c, m)) {
        io.longshort.weights.WeightLoader.load(model.session(), model.parameters(), st);
        saved = ServingExport.export(model, dir, "lm", 1L, false, 0).versionDir();
      }
      try (SavedModelBundle bundle = SavedModelBundle.load(saved.toString(), SavedModelWriter.TAG);
          Tensor in = HostTensors.ints(new long[] {b, c}, tokens)) {
        SignatureDef sig = bundle.metaGraphDef().getSignatureDefMap().get(TransformerLsServingModel.SCORE);
        try (var r = bundle.session().runner().feed(sig.getInputsMap().get("tokens").getName(), in)
            .fetch(sig.getOutputsMap().get("logprobs").getName()).run()) {
          double[] got = HostTensors.toDoubles(r.get(0));
          assertEquals(b * c, got.length);
          double worst = 0;
          for (int row = 0; row < b; row++) {
            assertEquals(0.0, got[row * c], "no score for the first token");
            for (int i = 1; i < c; i++) {
              int p = i - 1;
              double want = lp[p / m][(row * m + p % m) * v + tokens[row * c + i]];
              worst = Math.max(worst, Math.abs(want - got[row * c + i]));
            }
          }
          assertTrue(worst <= 1e-4, "max abs error " + worst);
          System.out.printf("score signature: max abs error %.3g over %d x %d tokens%n", worst, b, c);
        }

        // generate, greedy: the same tokens as the decoder's host-side greedy loop (two rolls on the way)
        int[] promptLengths = {5, 7};
        int maxNew = 40;
        int p = 7;
        int[] prompts = new int[b * p];
        for (int row = 0; row < b; row++) {
          System.arraycopy(tokens, row * c, prompts, row * p, p);
        }
        int[] newTokens;
        try (Tensor pr = HostTensors.ints(new long[] {b, p}, prompts);
            Tensor pl = HostTensors.ints(new long[] {b}, promptLengths);
            Tensor mn = HostTensors.ints(new long[] {b}, new int[] {maxNew, maxNew});
            Tensor temp = org.tensorflow.types.TFloat32.vectorOf(0f, 0f);
            Tensor topK = org.tensorflow.types.TInt32.vectorOf(0, 0);
            Tensor seed = org.tensorflow.types.TInt64.vectorOf(0L, 0L)) {
          SignatureDef gen = bundle.metaGraphDef().getSignatureDefMap().get(TransformerLsServingModel.GENERATE);
          try (var r = bundle.session().runner().feed(gen.getInputsMap().get("prompt_ids").getName(), pr)
              .feed(gen.getInputsMap().get("prompt_lengths").getName(), pl)
              .feed(gen.getInputsMap().get("max_new_tokens").getName(), mn)
              .feed(gen.getInputsMap().get("temperature").getName(), temp)
              .feed(gen.getInputsMap().get("top_k").getName(), topK)
              .feed(gen.getInputsMap().get("seed").getName(), seed)
              .fetch(gen.getOutputsMap().get("new_tokens").getName()).run()) {
            newTokens = HostTensors.toInts(r.get(0));
          }
        }
        int[] want = new int[b * maxNew];
        try (io.longshort.graph.decode.TransformerLsDecoder<org.tensorflow.types.TFloat32> dec =
            io.longshort.graph.decode.TransformerLsDecoder.build(spec, org.tensorflow.types.TFloat32.class, b, m, 0, null)) {
          io.longshort.weights.WeightLoader.load(dec.session(), dec.parameters(), st);
          dec.reset();
          int[][] seq = new int[b][c];
          for (int row = 0; row < b; row++) {
            System.arraycopy(prompts, row * p, seq[row], 0, promptLengths[row]);
          }
          int last = Math.max(promptLengths[0], promptLengths[1]) + maxNew - 1;
          for (int i = 0; i < last; i++) {
            int[] feed = {seq[0][i], seq[1][i]};
            double[] stepLp = dec.step(feed);
            for (int row = 0; row < b; row++) {
              if (i + 1 >= promptLengths[row]) {
                int best = 0;
                for (int k = 1; k < v; k++) {
                  if (stepLp[row * v + k] > stepLp[row * v + best]) {
                    best = k;
                  }
                }
                seq[row][i + 1] = best;
              }
            }
          }
          for (int row = 0; row < b; row++) {
            System.arraycopy(seq[row], promptLengths[row], want, row * maxNew, maxNew);
          }
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(want, newTokens, "greedy tokens of the generate signature");
      }
    }
  }
}
