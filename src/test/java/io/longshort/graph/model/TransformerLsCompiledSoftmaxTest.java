package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.XlaPieces;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.reference.GraphReadback;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * The authors' LM's training loss and parameter gradients with the chunked attention's masked
 * softmax (skew, masks, concat, softmax) as a compiled piece with its hand-written gradient (from
 * one element on, so that this small model has it) against the same graph of plain ops, whose
 * gradient TensorFlow derives, at parameters moved away from their initial values. Blocks of 8
 * window tiles, 2 tiles and one tile (window 8).
 */
class TransformerLsCompiledSoftmaxTest {
  private static final int B = 2;
  private static final TransformerLsSpec SPEC = TransformerLsSpec.builder().setVocabSize(11).setWidth(8)
      .setInnerWidth(12).setHeads(2).setLayers(2).setMemLen(16).setWindow(8).setChunkSize(2).setChunkRank(1).build();

  /** The loss, then every parameter's gradient (flattened, in parameter order). */
  private static List<double[]> lossAndGradients(int block, boolean pieces) {
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(SPEC, TFloat32.class, B, block, 9, null,
        pieces ? XlaPieces.withMinElements(1) : null)) {
      int softmaxPieces = 0;
      for (Iterator<GraphOperation> it = lm.graph().operations(); it.hasNext(); ) {
        softmaxPieces += it.next().name().endsWith("chunked_softmax_carrier") ? 1 : 0;
      }
      assertEquals(pieces ? SPEC.layers() : 0, softmaxPieces, "compiled masked softmaxes");
      Random rnd = new Random(block);
      int[] ids = new int[B * block];
      int[] targets = new int[B * block];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rnd.nextInt(SPEC.vocabSize());
        targets[i] = rnd.nextInt(SPEC.vocabSize());
      }
      double[] cache = new double[Math.toIntExact(lm.cacheShape().size())];
      for (int i = 0; i < cache.length; i++) {
        cache[i] = rnd.nextGaussian();
      }
      List<Tensor> fed = new ArrayList<>(List.of(HostTensors.ints(new long[] {B, block}, ids),
          HostTensors.ints(new long[] {B, block}, targets),
          HostTensors.of(TFloat32.class, lm.cacheShape().asArray(), cache)));
      try {
        Session.Runner r = lm.session().runner().feed(lm.inputs().get("input_ids"), fed.get(0))
            .feed(lm.inputs().get("targets"), fed.get(1)).feed(lm.inputs().get("cache"), fed.get(2));
        // every parameter away from its initial value (zero biases, unit norms, position weights of
        // 0.02): the position logits' gradients, which the hand-written skew's gradient carries,
        // are then as large as the rest. Both builds init from the same seed, so both get the same values.
        for (Parameter<TFloat32> p : lm.parameters().list()) {
          double[] v;
          try (var read = lm.session().runner().fetch(p.value()).run()) {
            v = HostTensors.toDoubles(read.get(0));
          }
          for (int j = 0; j < v.length; j++) {
            v[j] += 0.3 * rnd.nextGaussian();
          }
          Tensor t = HostTensors.of(TFloat32.class, p.shape(), v);
          fed.add(t);
          r.feed(p.value(), t);
        }
        List<Operand<?>> fetches = new ArrayList<>(List.of(lm.loss()));
        fetches.addAll(lm.gradients());
        return GraphReadback.fetchDoubles(r, fetches);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {16, 4, 2})
  void theGradientsAreThoseOfThePlainOps(int block) {
    List<double[]> plain = lossAndGradients(block, false);
    List<double[]> compiled = lossAndGradients(block, true);
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
