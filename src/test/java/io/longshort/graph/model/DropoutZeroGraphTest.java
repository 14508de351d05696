package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.reference.GraphReadback;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.train.Feeds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * A training graph whose spec has dropout 0 (the authors' LRA settings) builds no dropout: none of
 * the mask's hash ops, and the same loss and parameter gradients as the graph of a spec with
 * dropout 0.1 fed rate 0 (the identity), with the dropout inputs still there to feed.
 */
class DropoutZeroGraphTest {
  private static final int B = 2;
  private static final int N = 32;
  private static final ModelSpec SPEC = ModelSpec.classifier().setVocabSize(12).setMaxLength(N).setWidth(16)
      .setLayers(2).setHiddenWidth(32).setAttention(AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4)
          .setRank(2).build()).setClasses(3).optPooling(Pooling.CLS_LAST_LAYER).optDropout(0.1).build();

  /** The hash ops' count, then the loss and every parameter's gradient (flattened, in creation order). */
  private static List<double[]> build(double specDropout) {
    ModelSpec spec = SPEC.toBuilder().optDropout(specDropout).build();
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(B).setLength(N)
        .optSeed(9).optTraining(true).build()) {
      List<Parameter<TFloat32>> params = Gradients.asVariables(g.parameters().list(), TFloat32.class);
      List<Operand<TFloat32>> grads = Gradients.of(g.parameters().graph(), g.loss(), params, TFloat32.class);
      Random rnd = new Random(4);
      int[] ids = new int[B * N];
      int[] mask = new int[B * N];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1 + rnd.nextInt(11);
        mask[i] = i % N < N - 5 * (i / N) ? 1 : 0;
      }
      List<Tensor> fed = new ArrayList<>(List.of(HostTensors.ints(new long[] {B, N}, ids),
          HostTensors.ints(new long[] {B, N}, mask), HostTensors.ints(new long[] {B}, new int[] {2, 0})));
      try {
        Session.Runner r = g.session().runner().feed(g.inputs().get("input_ids"), fed.get(0))
            .feed(g.inputs().get("mask"), fed.get(1)).feed(g.labels(), fed.get(2));
        // rate 0 for both: the spec's dropout 0, or the identity of a spec with dropout
        Feeds.dropout(r, g.dropoutSeed(), g.dropoutRate(), 5, 3, 0.0, fed);
        List<Operand<?>> fetches = new ArrayList<>(List.of(g.loss()));
        fetches.addAll(grads);
        List<double[]> out = new ArrayList<>();
        out.add(new double[] {GraphReadback.countOps(g.parameters().graph(), "BitwiseXor")});
        out.addAll(GraphReadback.fetchDoubles(r, fetches));
        return out;
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @Test
  void noDropoutOpsAndTheSameGradientsAsRateZero() {
    List<double[]> withSites = build(0.1);
    List<double[]> without = build(0.0);
    assertTrue(withSites.get(0)[0] > 0, "a spec with dropout hashes masks: BitwiseXor ops " + withSites.get(0)[0]);
    assertEquals(0, without.get(0)[0], "BitwiseXor ops of a spec without dropout");
    assertEquals(withSites.size(), without.size(), "parameters");
    assertEquals(withSites.get(1)[0], without.get(1)[0], 1e-6 * Math.abs(withSites.get(1)[0]), "loss");
    double scale = 0;
    for (int i = 2; i < withSites.size(); i++) {
      for (double v : withSites.get(i)) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    assertTrue(scale > 0, "gradients reach the parameters");
    for (int i = 2; i < withSites.size(); i++) {
      for (int j = 0; j < withSites.get(i).length; j++) {
        assertEquals(withSites.get(i)[j], without.get(i)[j], 1e-6 * scale, "gradient " + i + "[" + j + "]");
      }
    }
  }
}
