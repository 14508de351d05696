package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code eval --block M --mem-len L} on the concatenated blocks of a golden stream case (batch row
 * 0 as the corpus, its token ids as bytes) gives the bits/char its golden log-probs give: every
 * position's log-prob of the next token, the last position of a block predicting the next
 * block's first token.
 */
class StreamingEvalCommandTest {
  @Test
  void givesTheGoldenStreamsBitsPerCharacter(@TempDir Path dir) throws Exception {
    Path file = Golden.dir().resolve("lm").resolve("lm_stream4_w8_c4_r1_mem24.safetensors");
    try (Safetensors st = Safetensors.open(file)) {
      TransformerLsSpec spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
      int blocks = Integer.parseInt(st.metadata().get("blocks"));
      long[] shape = st.info("input.block_0").shape();
      int b = Math.toIntExact(shape[0]);
      int m = Math.toIntExact(shape[1]);
      int v = spec.vocabSize();
      byte[] corpus = new byte[blocks * m];
      double[][] lp = new double[blocks][];
      for (int k = 0; k < blocks; k++) {
        int[] ids = st.readInts("input.block_" + k);
        for (int t = 0; t < m; t++) {
          corpus[k * m + t] = (byte) ids[t]; // row 0
        }
        lp[k] = st.readDoubles("output.logprobs_" + k);
      }
      double nats = 0;
      for (int p = 0; p + 1 < corpus.length; p++) {
        nats -= lp[p / m][(p % m) * v + corpus[p + 1]]; // row 0's (B, M, V) entries come first
      }
      double want = nats / (corpus.length - 1) / Math.log(2);
      assertTrue(b >= 1);

      Path text = dir.resolve("stream.bin");
      Files.write(text, corpus);
      Path specFile = dir.resolve("lm.json");
      Files.writeString(specFile, spec.toJson());
      String[] out = new String[2];
      int rc = run(out, "eval", "--corpus", text.toString(), "--split", "all", "--block", Integer.toString(m),
          "--mem-len", Integer.toString(spec.memLen()), "--lm", specFile.toString(), "--weights", file.toString());
      assertEquals(0, rc, out[1]);
      Matcher bpc = Pattern.compile("on all: bits/char ([0-9.]+) +\\(([0-9,]+) bytes predicted").matcher(out[0]);
      assertTrue(bpc.find(), out[0]);
      assertEquals(corpus.length - 1, Long.parseLong(bpc.group(2).replace(",", "")));
      double got = Double.parseDouble(bpc.group(1));
      // the command prints 4 decimals: within 5e-5 of the golden value is within 1e-4 of it
      assertEquals(want, got, 1e-4, out[0]);
      assertTrue(out[0].contains("block 4/4"), "progress lines: " + out[0]);

      // the same through the API, without the printed rounding
      try (io.longshort.data.ByteCorpus c = io.longshort.data.ByteCorpus.open(text);
          io.longshort.graph.model.TransformerLsLm<org.tensorflow.types.TFloat32> lm =
              io.longshort.graph.model.TransformerLsLm.build(spec, org.tensorflow.types.TFloat32.class, 1, m, 0)) {
        io.longshort.weights.WeightLoader.load(lm.session(), lm.parameters(), st);
        io.longshort.train.StreamingEval.Result r = io.longshort.train.StreamingEval.evaluate(lm, c,
            new io.longshort.data.ByteCorpus.Range(0, corpus.length), io.longshort.train.StreamingEval.byteIds(), null);
        assertEquals(want, r.bitsPerCharacter(), 1e-4);
        System.out.printf("streaming eval: %.8f bits/char, golden %.8f%n", r.bitsPerCharacter(), want);
      }
    }
  }

  private static int run(String[] out, String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    int rc = cli.execute(args);
    out[0] = o.toString();
    out[1] = e.toString();
    return rc;
  }
}
