package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.graph.core.HostTensors;
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
class TransformerLsScoreExportTest {
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
      Path saved = dir.resolve("1");
      TransformerLsScoreExport.write(spec, st, b, c, m, saved);
      try (SavedModelBundle bundle = SavedModelBundle.load(saved.toString(), SavedModelWriter.TAG);
          Tensor in = HostTensors.ints(new long[] {b, c}, tokens)) {
        SignatureDef sig = bundle.metaGraphDef().getSignatureDefMap().get(TransformerLsScoreExport.KEY);
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
      }
    }
  }
}
