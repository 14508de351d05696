package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.graph.decode.TransformerLsDecoder;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.tensorflow.types.TFloat32;

/**
 * Incremental decoding of a golden stream's tokens, one at a time, gives its golden log-probs:
 * inside a block, row t of the block's forward from the previous blocks' cache; a full block rolls
 * into the cache (the stream case's cache truncates; the padded case's blocks of 14 are padded to
 * 16 before they roll). Plain and with the step compiled by XLA.
 */
class TransformerLsDecoderTest {
  static final double TOLERANCE = 1e-4;

  @Test
  void streamCase() throws Exception {
    check("lm_stream4_w8_c4_r1_mem24.safetensors", false);
  }

  @Test
  void paddedBlocks() throws Exception {
    check("lm_pad_block14_w8_c4.safetensors", false);
  }

  @Test
  void streamCaseCompiledByXla() throws Exception {
    check("lm_stream4_w8_c4_r1_mem24.safetensors", true);
  }

  private static void check(String name, boolean xla) throws Exception {
    Path file = Golden.dir().resolve("lm").resolve(name);
    try (Safetensors st = Safetensors.open(file)) {
      TransformerLsSpec spec = TransformerLsGoldenTest.spec(st);
      int blocks = Integer.parseInt(st.metadata().get("blocks"));
      long[] shape = st.info("input.block_0").shape();
      int b = Math.toIntExact(shape[0]);
      int m = Math.toIntExact(shape[1]);
      int v = spec.vocabSize();
      try (TransformerLsDecoder<TFloat32> dec = TransformerLsDecoder.build(spec, TFloat32.class, b, m, 0,
          xla ? io.longshort.compile.XlaFunction.MUST_COMPILE_CALLS : null)) {
        WeightLoader.load(dec.session(), dec.parameters(), st);
        dec.reset();
        double worst = 0;
        for (int k = 0; k < blocks; k++) {
          int[] ids = st.readInts("input.block_" + k);
          double[] want = st.readDoubles("output.logprobs_" + k);
          for (int t = 0; t < m; t++) {
            int[] tokens = new int[b];
            for (int row = 0; row < b; row++) {
              tokens[row] = ids[row * m + t];
            }
            double[] got = dec.step(tokens);
            for (int row = 0; row < b; row++) {
              for (int c = 0; c < v; c++) {
                worst = Math.max(worst, Math.abs(got[row * v + c] - want[(row * m + t) * v + c]));
              }
            }
            assertTrue(worst <= TOLERANCE, name + " block " + k + " position " + t + ": max abs error " + worst);
          }
        }
        System.out.printf("%s%s: decoding max abs error %.3g%n", name, xla ? " (XLA)" : "", worst);
      }
    }
  }
}
