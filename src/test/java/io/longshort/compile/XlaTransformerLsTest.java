package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.Golden;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * The authors' LM's block step compiled by XLA (must-compile): the forward pass gives the golden
 * stream's log-probs and caches, and the training step (forward and backward from a fed cache)
 * gives the plain graph's loss and gradients.
 */
class XlaTransformerLsTest {
  static final Path CASE = Golden.dir().resolve("lm").resolve("lm_stream4_w8_c4_r1_mem24.safetensors");

  @Test
  void compiledBlockStepMatchesTheGoldenStream() throws Exception {
    try (Safetensors st = Safetensors.open(CASE)) {
      TransformerLsSpec spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
      long[] shape = st.info("input.block_0").shape();
      try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildCompiled(spec, TFloat32.class, shape[0],
          Math.toIntExact(shape[1]), 0, XlaFunction.MUST_COMPILE_CALLS)) {
        assertTrue(lm.graph().operation("block") != null
            && lm.graph().operation("block").type().equals(XlaFunction.CALL_OP));
        WeightLoader.load(lm.session(), lm.parameters(), st);
        TFloat32 cache = lm.zeroCache();
        for (int b = 0; b < 4; b++) {
          TransformerLsLm.Step<TFloat32> step = lm.run(st.readInts("input.block_" + b), cache);
          cache.close();
          cache = step.nextCache();
          double[] want = st.readDoubles("output.logprobs_" + b);
          double max = 0;
          for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i] - step.logprobs()[i]));
          }
          assertTrue(max <= 1e-4, "block " + b + ": max abs error " + max);
        }
        cache.close();
      }
    }
  }

  @Test
  void compiledForwardAndBackwardMatchThePlainGraph() throws Exception {
    TransformerLsSpec spec;
    try (Safetensors st = Safetensors.open(CASE)) {
      spec = TransformerLsSpec.fromAuthorsConfig(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")));
    }
    int b = 2;
    int m = 16;
    java.util.Random rnd = new java.util.Random(4);
    int[] ids = new int[b * m];
    int[] targets = new int[b * m];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(spec.vocabSize());
      targets[i] = rnd.nextInt(spec.vocabSize());
    }
    List<double[]> plain = run(spec, false, ids, targets);
    List<double[]> xla = run(spec, true, ids, targets);
    assertEquals(plain.size(), xla.size());
    double worst = 0;
    for (int k = 0; k < plain.size(); k++) {
      double scale = 1e-6;
      for (double v : plain.get(k)) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < plain.get(k).length; i++) {
        worst = Math.max(worst, Math.abs(plain.get(k)[i] - xla.get(k)[i]) / scale);
      }
    }
    assertTrue(worst <= 1e-4, "XLA against plain, worst error relative to each tensor's largest value: " + worst);
  }

  /** Loss, next cache, then every gradient, from a random cache, the same seed's weights. */
  private static List<double[]> run(TransformerLsSpec spec, boolean xla, int[] ids, int[] targets) {
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(spec, TFloat32.class, 2, 16, 9,
        xla ? XlaFunction.MUST_COMPILE_CALLS : null, XlaPieces.INSTANCE)) {
      java.util.Random rnd = new java.util.Random(5);
      double[] cache = new double[Math.toIntExact(lm.cacheShape().size())];
      for (int i = 0; i < cache.length; i++) {
        cache[i] = rnd.nextGaussian();
      }
      List<Tensor> fed = new ArrayList<>();
      try {
        Tensor i = HostTensors.ints(new long[] {2, 16}, ids);
        Tensor t = HostTensors.ints(new long[] {2, 16}, targets);
        Tensor c = HostTensors.of(TFloat32.class, lm.cacheShape().asArray(), cache);
        fed.addAll(List.of(i, t, c));
        var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), i)
            .feed(lm.inputs().get("targets"), t).feed(lm.inputs().get("cache"), c)
            .fetch(lm.loss()).fetch(lm.outputs().get("next_cache"));
        for (Operand<TFloat32> g : lm.gradients()) {
          runner.fetch(g);
        }
        List<double[]> out = new ArrayList<>();
        try (var r = runner.run()) {
          for (int k = 0; k < r.size(); k++) {
            out.add(HostTensors.toDoubles(r.get(k)));
          }
        }
        return out;
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }
}
