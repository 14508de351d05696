package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * Recomputation of the authors' LM ({@code train-lm --recompute}): a float64 block step built with
 * and without it, from the same weights and a random non-zero cache, with dropout on (the rebuilt
 * layers must drop the same units), gives the same loss, log-probs, next cache and gradient of every
 * parameter within 1e-6. Pre-LN with a padded block, and post-LN with ReLU, biases, clamps and
 * chunk rank 2, as {@code TransformerLsGradientTest} covers them. The XLA block step is refused.
 */
class RecomputeLmTest {
  private static TransformerLsSpec.Builder tiny() {
    return TransformerLsSpec.builder().setVocabSize(11).setWidth(8).setInnerWidth(12).setHeads(2).setLayers(3)
        .setMemLen(8).setWindow(4).setChunkSize(2).setChunkRank(1).optDropout(0.1).optEmbDropout(0.1);
  }

  @Test
  void preLnPaddedBlock() {
    check(tiny().build(), 2, 7);
  }

  @Test
  void postLnReluBiasClampedRankTwo() {
    check(tiny().setChunkRank(2).setChunkSize(4).setMemLen(12).optPreLn(false).optUseGelu(false).optUseBias(true)
        .optClampLen(2).optCposClampLen(3).build(), 1, 4);
  }

  /**
   * Compiled pieces from one element on (the tiny layers are under {@link XlaPieces#INSTANCE}'s
   * minimum): the layers rebuilt in the backward pass use them too, nested in the recompute function
   * (which TensorFlow inlines all the same), and give the same gradients.
   */
  @Test
  void withCompiledPiecesPreLnPaddedBlockAndPostLn() {
    check(tiny().build(), 2, 7, XlaPieces.withMinElements(1));
    check(tiny().setChunkRank(2).setChunkSize(4).setMemLen(12).optPreLn(false).optUseGelu(true).optUseBias(true)
        .build(), 1, 4, XlaPieces.withMinElements(1));
  }

  private static void check(TransformerLsSpec spec, int b, int m) {
    check(spec, b, m, XlaPieces.INSTANCE);
  }

  private static void check(TransformerLsSpec spec, int b, int m, XlaPieces pieces) {
    List<double[]> plain = run(spec, b, m, false, 0.1f, pieces);
    List<double[]> recomputed = run(spec, b, m, true, 0.1f, pieces);
    double worst = RecomputeTest.largestDifference(plain.toArray(double[][]::new), recomputed.toArray(double[][]::new));
    assertTrue(worst <= 1e-6, "largest difference " + worst);
    // dropout was on: without it the loss differs
    assertTrue(Math.abs(plain.get(0)[0] - run(spec, b, m, false, 0f, pieces).get(0)[0]) > 1e-6, "the dropout masks were applied");
  }

  /** [loss], log-probs, next cache, then every parameter's gradient, flattened, in parameter order. */
  private static List<double[]> run(TransformerLsSpec spec, int b, int m, boolean recompute, float rate,
      XlaPieces pieces) {
    try (TransformerLsLm<TFloat64> lm = TransformerLsLm.buildForTraining(spec, TFloat64.class, b, m, 3, null,
        pieces, recompute ? Recompute.INSTANCE : null)) {
      // one carrier per layer but the last (kept plain): those layers' gradients come through the recompute functions
      long carriers = 0;
      for (var it = lm.graph().operations(); it.hasNext(); ) {
        var op = it.next();
        // the compiled pieces' carriers are named after the piece (layer_norm_carrier, gelu_carrier, ...)
        carriers += op.type().equals("IdentityN") && op.name().matches("(.*/)?layer_\\d+_carrier") ? 1 : 0;
      }
      assertEquals(recompute ? spec.layers() - 1 : 0, carriers);
      Random rnd = new Random(17);
      int[] ids = new int[b * m];
      int[] targets = new int[b * m];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rnd.nextInt(spec.vocabSize());
        targets[i] = rnd.nextInt(spec.vocabSize());
      }
      double[] cache = new double[Math.toIntExact(lm.cacheShape().size())];
      for (int i = 0; i < cache.length; i++) {
        cache[i] = rnd.nextGaussian();
      }
      List<Tensor> fed = new ArrayList<>();
      try {
        fed.add(HostTensors.ints(new long[] {b, m}, ids));
        fed.add(HostTensors.ints(new long[] {b, m}, targets));
        fed.add(HostTensors.of(TFloat64.class, lm.cacheShape().asArray(), cache));
        fed.add(TInt64.vectorOf(5, 7));
        fed.add(TFloat32.scalarOf(rate));
        Session.Runner r = lm.session().runner().feed(lm.inputs().get("input_ids"), fed.get(0))
            .feed(lm.inputs().get("targets"), fed.get(1)).feed(lm.inputs().get("cache"), fed.get(2))
            .feed(lm.dropoutSeed(), fed.get(3)).feed(lm.dropoutRate(), fed.get(4))
            .fetch(lm.loss()).fetch(lm.outputs().get("logprobs")).fetch(lm.outputs().get("next_cache"));
        for (Operand<TFloat64> g : lm.gradients()) {
          r.fetch(g);
        }
        r.setOptions(org.tensorflow.proto.RunOptions.newBuilder().setOutputPartitionGraphs(true).build());
        try (Result out = r.runAndFetchMetadata()) {
          if (recompute) {
            RecomputeTest.assertRecomputeFunctionsInlined(out.getMetadata().orElseThrow(), spec.layers() - 1);
          }
          List<double[]> v = new ArrayList<>();
          for (int i = 0; i < out.size(); i++) {
            v.add(HostTensors.toDoubles(out.get(i)));
          }
          return v;
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @Test
  void theXlaBlockStepIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransformerLsLm.buildForTraining(
        tiny().build(), TFloat32.class, 1, 8, 3, XlaFunction.MUST_COMPILE_CALLS, XlaPieces.INSTANCE,
        Recompute.INSTANCE));
    assertTrue(e.getMessage().contains("recompute") && e.getMessage().contains("XLA"), e.getMessage());
  }

  @Test
  void halvesAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransformerLsLm.buildForTraining(
        tiny().build(), TFloat32.class, 1, 8, 3, null, XlaPieces.INSTANCE, Recompute.HALVES));
    assertEquals("recompute: the authors' LM rebuilds whole layers (segments BLOCKS), not HALVES; halves are for the"
        + " classifiers' encoder", e.getMessage());
  }
}
