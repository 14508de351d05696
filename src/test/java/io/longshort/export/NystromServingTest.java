package io.longshort.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.cli.Main;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.PseudoInverseStart;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;

/**
 * Nystrom models as exports serve them: the authors' pseudo-inverse start couples the rows of a
 * batch, so an exported model must start per row, and then each request row gets the same answer
 * alone as in any batch (TF Serving batches requests together).
 */
class NystromServingTest {
  static final int LENGTH = 24;
  static final int BATCH = 3;
  static final int CLASSES = 3;

  @TempDir
  Path dir;

  static ModelSpec model() {
    return ModelSpec.classifier().setVocabSize(20).setMaxLength(LENGTH).setWidth(16).setLayers(2)
        .setHiddenWidth(32).setClasses(CLASSES)
        .setAttention(AttentionSpec.nystrom().setWidth(16).setHeads(2).setLandmarks(4).optConvKernel(3).build())
        .build();
  }

  /** Three rows of different lengths (their landmark kernels' column sums differ). */
  static Map<String, int[]> inputs() {
    Random rnd = new Random(3);
    int[] ids = new int[BATCH * LENGTH];
    int[] mask = new int[BATCH * LENGTH];
    int[] lengths = {LENGTH, 9, 17};
    for (int b = 0; b < BATCH; b++) {
      for (int t = 0; t < lengths[b]; t++) {
        ids[b * LENGTH + t] = 1 + rnd.nextInt(19);
        mask[b * LENGTH + t] = 1;
      }
    }
    return Map.of("input_ids", ids, "mask", mask);
  }

  static Map<String, int[]> row(Map<String, int[]> in, int b) {
    Map<String, int[]> one = new java.util.LinkedHashMap<>();
    in.forEach((k, v) -> one.put(k, java.util.Arrays.copyOfRange(v, b * LENGTH, (b + 1) * LENGTH)));
    return one;
  }

  /** Largest |logit of row b in the batch - logit of row b alone|. */
  interface Logits {
    double[] of(int batch, Map<String, int[]> in) throws Exception;
  }

  static double batchingEffect(Logits logits) throws Exception {
    Map<String, int[]> in = inputs();
    double[] together = logits.of(BATCH, in);
    double worst = 0;
    for (int b = 0; b < BATCH; b++) {
      double[] alone = logits.of(1, row(in, b));
      for (int c = 0; c < CLASSES; c++) {
        worst = Math.max(worst, Math.abs(alone[c] - together[b * CLASSES + c]));
      }
    }
    return worst;
  }

  @Test
  void exportedNystromAnswersEachRowAsAlone() throws Exception {
    Path bundle = dir.resolve("nystrom_bundle");
    try (ModelGraph<TFloat32> g = ModelGraph.builder(model()).setDtype(TFloat32.class).setBatch(-1).setLength(LENGTH).optSeed(7).build()) {
      ModelBundle.write(bundle, g, false);
      // the authors' start, as trained: a row's logits depend on what it is batched with
      double coupled = batchingEffect(g::logits);
      System.out.println("nystrom, batch-wide start: batching changes logits by " + coupled);
      assertTrue(coupled > 1e-5, "the batch-wide start should couple rows (effect " + coupled + ")");
    }
    assertEquals(PseudoInverseStart.ROW, model().forServing().attention().inverseStart());

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int rc = cli.execute("export", "--bundle", bundle.toString(), "--name", "nystrom", "--out",
        dir.resolve("savedmodels").toString(), "--length", Integer.toString(LENGTH));
    assertEquals(0, rc, err.toString());

    try (SavedModelBundle b = SavedModelBundle.load(dir.resolve("savedmodels/nystrom/1").toString(), SavedModelWriter.TAG)) {
      SignatureDef sig = b.metaGraphDef().getSignatureDefMap().get(SavedModelWriter.DEFAULT_SIGNATURE);
      double served = batchingEffect((batch, in) -> {
        List<Tensor> fed = new ArrayList<>();
        try {
          Session.Runner r = b.session().runner();
          for (var e : in.entrySet()) {
            Tensor t = HostTensors.ints(new long[] {batch, LENGTH}, e.getValue());
            fed.add(t);
            r.feed(sig.getInputsMap().get(e.getKey()).getName(), t);
          }
          r.fetch(sig.getOutputsMap().get("logits").getName());
          try (var res = r.run()) {
            return HostTensors.toDoubles(res.get(0));
          }
        } finally {
          fed.forEach(Tensor::close);
        }
      });
      System.out.println("nystrom, exported (per-row start): batching changes logits by " + served);
      assertTrue(served <= 1e-6, "exported model: a row's logits alone and in a batch differ by " + served);
    }
  }
}
