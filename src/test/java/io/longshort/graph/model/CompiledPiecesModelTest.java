package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.XlaFunction;
import io.longshort.compile.XlaPieces;
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
 * A whole two-layer long-short classifier's training loss and parameter gradients with every
 * dropout, LayerNorm and GELU as a compiled piece (from one element on, so that this small model
 * has them all) against the same graph of plain ops, dropout 0.1.
 */
class CompiledPiecesModelTest {
  private static final int B = 2;
  private static final int N = 32;
  private static final ModelSpec SPEC = ModelSpec.classifier().setVocabSize(12).setMaxLength(N).setWidth(16)
      .setLayers(2).setHiddenWidth(32).setAttention(AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4)
          .setRank(2).build()).setClasses(3).optPooling(Pooling.MEAN).optDropout(0.1).build();

  /** The loss, then every parameter's gradient (flattened, in creation order). */
  private static List<double[]> lossAndGradients(boolean pieces) {
    try (ModelGraph<TFloat32> g = ModelGraph.builder(SPEC).setDtype(TFloat32.class).setBatch(B).setLength(N)
        .optSeed(9).optTraining(true).optCompiledPieces(pieces ? XlaPieces.withMinElements(1) : null).build()) {
      List<Parameter<TFloat32>> params = Gradients.asVariables(g.parameters().list(), TFloat32.class);
      List<Operand<TFloat32>> grads = Gradients.of(g.parameters().graph(), g.loss(), params, TFloat32.class);
      long calls = GraphReadback.countOps(g.parameters().graph(), XlaFunction.CALL_OP);
      // per layer: 2 LayerNorms, 1 GELU, 4 dropout sites (attention out, FFN hidden, FFN out, and
      // the embedding's once), forward and gradient each
      if (pieces) {
        assertTrue(calls >= 2 * SPEC.layers() * 7, "compiled calls: " + calls);
      } else {
        assertEquals(0, calls, "compiled calls");
      }
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
        Feeds.dropout(r, g.dropoutSeed(), g.dropoutRate(), 5, 3, 0.1, fed);
        List<Operand<?>> fetches = new ArrayList<>(List.of(g.loss()));
        fetches.addAll(grads);
        return GraphReadback.fetchDoubles(r, fetches);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @Test
  void theModelsGradientsAreThoseOfThePlainOps() {
    List<double[]> plain = lossAndGradients(false);
    List<double[]> compiled = lossAndGradients(true);
    assertEquals(plain.size(), compiled.size());
    assertEquals(plain.get(0)[0], compiled.get(0)[0], 1e-5, "loss");
    double scale = 0;
    for (int i = 1; i < plain.size(); i++) {
      for (double v : plain.get(i)) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    assertTrue(scale > 0, "gradients reach the parameters");
    for (int i = 1; i < plain.size(); i++) {
      for (int j = 0; j < plain.get(i).length; j++) {
        assertEquals(plain.get(i)[j], compiled.get(i)[j], 1e-5 * scale, "gradient " + i + "[" + j + "]");
      }
    }
  }
}
