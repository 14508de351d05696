package io.longshort.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.FairseqDictionary;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat32;

/**
 * A checkpoint the authors' own model class wrote in fairseq's layout (tests/fixtures/fairseq, made
 * by scripts/make_fairseq_fixture.py: state under decoder.model.*, settings under cfg, a
 * fairseq-preprocess dict.txt) converted by scripts/fairseq_to_safetensors.py: Java reads the
 * safetensors and the dictionary, maps the text's bytes through it to the ids fairseq gives, and
 * the model gives the authors' log-probs for every block of the stream.
 */
class FairseqImportTest {
  static final Path FIXTURE = Path.of("tests", "fixtures", "fairseq");

  @Test
  void convertedCheckpointGivesTheAuthorsLogProbs(@TempDir Path dir) throws Exception {
    Path converted = convert(dir);
    try (Safetensors st = Safetensors.open(converted.resolve("model.safetensors"));
        Safetensors ref = Safetensors.open(FIXTURE.resolve("reference.safetensors"))) {
      TransformerLsSpec spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
      FairseqDictionary dict = FairseqDictionary.read(converted.resolve(st.metadata().get("dictionary")));
      assertEquals(spec.vocabSize(), dict.size(), "4 specials + dict.txt = the embedding's rows");
      assertTrue(dict.byteNumbers(), "enwik8-style symbols");
      int[] text = ref.readInts("input.text");
      int[] idOf = dict.idOfByte();
      int[] ids = new int[text.length];
      for (int i = 0; i < text.length; i++) {
        ids[i] = idOf[text[i]];
      }
      assertArrayEquals(ref.readInts("input.ids"), ids, "bytes through dict.txt give fairseq's ids");
      int block = Integer.parseInt(ref.metadata().get("block"));
      int blocks = Integer.parseInt(ref.metadata().get("blocks"));
      try (TransformerLsLm<TFloat32> lm = TransformerLsLm.build(spec, TFloat32.class, 1, block, 0)) {
        WeightLoader.Report report = WeightLoader.load(lm.session(), lm.parameters(), st);
        assertEquals(lm.parameters().list().size(), report.loaded().size());
        TFloat32 cache = lm.zeroCache();
        double worst = 0;
        for (int k = 0; k < blocks; k++) {
          TransformerLsLm.Step<TFloat32> step = lm.run(java.util.Arrays.copyOfRange(ids, k * block, (k + 1) * block),
              cache);
          cache.close();
          cache = step.nextCache();
          double[] want = ref.readDoubles("output.logprobs_" + k);
          for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - step.logprobs()[i]));
          }
        }
        cache.close();
        assertTrue(worst <= 1e-4, "max abs error " + worst);
        System.out.printf("fairseq import: max abs error %.3g over %d blocks%n", worst, blocks);
      }

      // eval --block with the converted file alone: its config and dict.txt come with it
      double nats = 0;
      int scored = blocks * block - 1;
      for (int p = 0; p < scored; p++) {
        nats -= ref.readDoubles("output.logprobs_" + (p / block))[(p % block) * spec.vocabSize() + ids[p + 1]];
      }
      double want = nats / scored / Math.log(2);
      byte[] bytes = new byte[text.length];
      for (int i = 0; i < text.length; i++) {
        bytes[i] = (byte) text[i];
      }
      Path corpus = dir.resolve("text.txt");
      Files.write(corpus, bytes);
      picocli.CommandLine cli = io.longshort.cli.Main.commandLine();
      java.io.StringWriter o = new java.io.StringWriter();
      java.io.StringWriter e = new java.io.StringWriter();
      cli.setOut(new java.io.PrintWriter(o));
      cli.setErr(new java.io.PrintWriter(e));
      int rc = cli.execute("eval", "--corpus", corpus.toString(), "--split", "all", "--block", Integer.toString(block),
          "--weights", converted.resolve("model.safetensors").toString(), "--max-bytes",
          Integer.toString(blocks * block));
      assertEquals(0, rc, e.toString());
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("bits/char ([0-9.]+) +\\(([0-9,]+) bytes predicted")
          .matcher(o.toString());
      assertTrue(m.find(), o.toString());
      assertEquals(scored, Integer.parseInt(m.group(2).replace(",", "")));
      assertEquals(want, Double.parseDouble(m.group(1)), 1e-4, o.toString());
    }
  }

  /**
   * Runs the conversion script when a Python with torch and safetensors is there
   * (LONGSHORT_PYTHON, /work/pyenv/bin/python or python3); otherwise the fixture's converted copy,
   * which that script wrote.
   */
  private static Path convert(Path dir) throws Exception {
    for (String python : new String[] {System.getenv("LONGSHORT_PYTHON"), "/work/pyenv/bin/python", "python3"}) {
      if (python == null || (python.startsWith("/") && !new File(python).canExecute())) {
        continue;
      }
      Process probe = new ProcessBuilder(python, "-c", "import torch, safetensors").redirectErrorStream(true).start();
      probe.getInputStream().readAllBytes();
      if (!probe.waitFor(120, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        continue;
      }
      Process p = new ProcessBuilder(python, "scripts/fairseq_to_safetensors.py", FIXTURE.resolve("ls_tiny.pt").toString(),
          "--dict", FIXTURE.resolve("dict.txt").toString(), "--out", dir.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, "conversion failed: " + out);
      assertTrue(Files.exists(dir.resolve("dict.txt")), out);
      System.out.println("converted with " + python + ": " + out.strip());
      return dir;
    }
    System.out.println("no Python with torch: the fixture's converted copy");
    return FIXTURE.resolve("converted");
  }
}
