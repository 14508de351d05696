package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.ImageAttentionSpec;
import io.longshort.spec.VisionSpec;
import io.longshort.spec.VisionStage;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * Recomputation in the ViL image classifiers ({@code train-image --recompute}): a float64 model
 * built with and without {@code optRecompute} gives the same loss and the same gradient of every
 * parameter (within 1e-6; float64 puts the difference near 1e-15), through both attention kinds
 * (2-D long-short with global tokens and padded windows, full 2-D attention), relative and
 * absolute positions, and two blocks in each stage. The last block of the step is kept plain
 * ({@code Recomputation.applyToBlock}), so the second stage has two blocks: its first, a full-attention
 * block, is rebuilt. The model has no dropout or drop-path (the authors' ImageNet regularisers are
 * not built), so a block's one input is its activations.
 */
class VisionRecomputeTest {
  private static final int B = 2;

  /** 16 x 16 images -> 8 x 8 long-short grid (w 3, 2 blocks) -> 4 x 4 full attention (2 blocks). */
  private static VisionSpec spec() {
    return new VisionSpec(16, 3, 3, 2.0, 1e-6, List.of(
        new VisionStage(2, 2, ImageAttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(3).setRank(2)
            .optGlobalTokens(1).build()),
        new VisionStage(2, 2, true, ImageAttentionSpec.full().setWidth(32).setHeads(2).optGlobalTokens(1).build())));
  }

  @Test
  void gradientsEqualThePlainStepsInFloat64() {
    VisionSpec spec = spec();
    double[][] plain = lossAndGradients(spec, false);
    double worst = RecomputeTest.largestDifference(plain, lossAndGradients(spec, true));
    assertTrue(worst <= 1e-6, "largest difference " + worst);
    // the gradients are not all zero: the comparison above compares something
    double largest = 0;
    for (int i = 1; i < plain.length; i++) {
      for (double v : plain[i]) {
        largest = Math.max(largest, Math.abs(v));
      }
    }
    assertTrue(largest > 1e-3, "largest gradient " + largest);
  }

  @Test
  void anInferenceGraphIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VisionModelGraph.builder(spec())
        .setDtype(TFloat32.class).setBatch(1).optRecompute(Recompute.INSTANCE).build());
    assertEquals("VisionModelGraph.Builder: recompute is for training graphs (optTraining(true))", e.getMessage());
  }

  @Test
  void halvesAreRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VisionModelGraph.builder(spec())
        .setDtype(TFloat32.class).setBatch(1).optTraining(true).optRecompute(Recompute.HALVES).build());
    assertEquals("VisionModelGraph.Builder: recompute rebuilds whole ViL blocks (segments BLOCKS), not HALVES; halves"
        + " are for the classifiers' encoder", e.getMessage());
  }

  /** [loss], then each parameter's gradient, flattened, in parameter order. */
  private static double[][] lossAndGradients(VisionSpec spec, boolean recompute) {
    try (VisionModelGraph<TFloat64> g = VisionModelGraph.builder(spec).setDtype(TFloat64.class).setBatch(B).optSeed(3)
        .optTraining(true).optRecompute(recompute ? Recompute.INSTANCE : null).build()) {
      assertEquals(recompute, g.recompute());
      // one carrier per block but the step's last (layer2_block1, kept plain): the gradients of both stages'
      // first blocks, long-short and full attention, come through the recompute functions
      List<String> carriers = new java.util.ArrayList<>();
      for (java.util.Iterator<GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("IdentityN") && op.name().matches("layer\\d+/layer\\d+_block\\d+_carrier")) {
          carriers.add(op.name());
        }
      }
      java.util.Collections.sort(carriers);
      assertEquals(recompute ? List.of("layer1/layer1_block0_carrier", "layer1/layer1_block1_carrier",
          "layer2/layer2_block0_carrier") : List.of(), carriers);
      List<Operand<TFloat64>> grads = Gradients.of(g.graph(), g.loss(), g.parameters().list(), TFloat64.class);
      Random rnd = new Random(5);
      float[] pixels = new float[B * spec.imageSize() * spec.imageSize() * spec.channels()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) rnd.nextGaussian();
      }
      try (Tensor images = g.imagesTensor(B, pixels); Tensor labels = HostTensors.ints(new long[] {B}, new int[] {2, 0})) {
        Session.Runner r = g.session().runner().feed(g.images(), images).feed(g.labels(), labels).fetch(g.loss());
        grads.forEach(r::fetch);
        try (Result out = r.run()) {
          double[][] v = new double[grads.size() + 1][];
          for (int i = 0; i < v.length; i++) {
            v[i] = HostTensors.toDoubles(out.get(i));
          }
          return v;
        }
      }
    }
  }
}
