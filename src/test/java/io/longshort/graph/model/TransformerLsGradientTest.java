package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.List;
import io.longshort.reference.FiniteDifferences;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat64;

/**
 * The truncated-BPTT loss of the authors' LM (one block from a random, non-zero cache) differentiated
 * by TF against central differences in float64, for sampled elements of every parameter, the
 * relative-position ones (r_net, r_net_chunk, r_r_bias, r_w_bias) included.
 */
class TransformerLsGradientTest {
  static final double STEP = 1e-5;

  static TransformerLsSpec.Builder tiny() {
    return TransformerLsSpec.builder().setVocabSize(11).setWidth(8).setInnerWidth(12).setHeads(2).setLayers(2)
        .setMemLen(8).setWindow(4).setChunkSize(2).setChunkRank(1);
  }

  @Test
  void preLnPaddedTiledBlock() {
    // block 7: not a multiple of C = 2, padded to 8 = two window tiles
    check(tiny().build(), 2, 7, 1);
  }

  @Test
  void postLnReluBiasClampedUntiledBlock() {
    check(tiny().setChunkRank(2).setChunkSize(4).setMemLen(12).optPreLn(false).optUseGelu(false).optUseBias(true)
        .optClampLen(2).optCposClampLen(3).build(), 1, 4, 2);
  }

  private static void check(TransformerLsSpec spec, int b, int m, long seed) {
    Random rnd = new Random(seed);
    int[] ids = new int[b * m];
    int[] targets = new int[b * m];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(spec.vocabSize());
      targets[i] = rnd.nextInt(spec.vocabSize());
    }
    try (TransformerLsLm<TFloat64> lm = TransformerLsLm.buildForTraining(spec, TFloat64.class, b, m, seed, null,
        io.longshort.compile.XlaPieces.INSTANCE)) {
      double[] cache = new double[Math.toIntExact(lm.cacheShape().size())];
      for (int i = 0; i < cache.length; i++) {
        cache[i] = rnd.nextGaussian();
      }
      List<Parameter<TFloat64>> params = lm.parameters().list();
      List<double[]> values = new ArrayList<>();
      for (Parameter<TFloat64> p : params) {
        try (var r = lm.session().runner().fetch(p.value()).run()) {
          double[] v = HostTensors.toDoubles(r.get(0));
          // away from the initial values (zero biases, unit norms): every term matters
          for (int j = 0; j < v.length; j++) {
            v[j] += 0.3 * rnd.nextGaussian();
          }
          values.add(v);
        }
      }
      double[][] analytic = new double[params.size()][];
      try (Feeds f = new Feeds(lm, params, values, ids, targets, cache)) {
        for (Operand<TFloat64> g : lm.gradients()) {
          f.runner.fetch(g);
        }
        try (var r = f.runner.run()) {
          for (int i = 0; i < params.size(); i++) {
            analytic[i] = HostTensors.toDoubles(r.get(i));
          }
        }
      }
      FiniteDifferences.Worst w = FiniteDifferences.compare(params.stream().map(p -> p.name()).toList(), values,
          analytic, 3, STEP, rnd, () -> loss(lm, params, values, ids, targets, cache));
      double worst = w.error();
      String where = w.where();
      System.out.printf("%s: worst relative error %.3g (%s)%n", spec.preLn() ? "pre-LN" : "post-LN", worst, where);
      assertTrue(worst <= 1e-3, "relative error " + worst + " at " + where);
    }
  }

  private static double loss(TransformerLsLm<TFloat64> lm, List<Parameter<TFloat64>> params, List<double[]> values,
      int[] ids, int[] targets, double[] cache) {
    try (Feeds f = new Feeds(lm, params, values, ids, targets, cache); var r = f.runner.fetch(lm.loss()).run()) {
      return HostTensors.toDoubles(r.get(0))[0];
    }
  }

  /** Feeds ids, targets, the cache and every parameter's read value. */
  static final class Feeds implements AutoCloseable {
    final List<Tensor> tensors = new ArrayList<>();
    final Session.Runner runner;

    Feeds(TransformerLsLm<TFloat64> lm, List<Parameter<TFloat64>> params, List<double[]> values, int[] ids,
        int[] targets, double[] cache) {
      runner = lm.session().runner();
      long[] shape = {lm.batch(), lm.block()};
      Tensor i = HostTensors.ints(shape, ids);
      Tensor t = HostTensors.ints(shape, targets);
      Tensor c = HostTensors.of(TFloat64.class, lm.cacheShape().asArray(), cache);
      tensors.addAll(List.of(i, t, c));
      runner.feed(lm.inputs().get("input_ids"), i).feed(lm.inputs().get("targets"), t)
          .feed(lm.inputs().get("cache"), c);
      for (int k = 0; k < params.size(); k++) {
        Tensor p = HostTensors.of(TFloat64.class, params.get(k).shape(), values.get(k));
        tensors.add(p);
        runner.feed(params.get(k).value(), p);
      }
    }

    @Override
    public void close() {
      tensors.forEach(Tensor::close);
    }
  }
}
