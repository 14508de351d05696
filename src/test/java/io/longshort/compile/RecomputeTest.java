package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.train.CompiledStep;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * Recomputation (gradient checkpointing) changes where the activations come from, not the
 * gradients: float64 models built with and without {@code optRecompute} give the same loss and the
 * same gradient of every parameter (within 1e-6; float64 puts the difference near 1e-15), with
 * dropout on (the rebuilt blocks must drop the same units), padding in the mask, untied and tied
 * layers, and a CLS vector that enters the last block. What it does not combine with is refused.
 */
class RecomputeTest {
  private static final int B = 2;
  private static final int N = 24;

  private static ModelSpec spec(Pooling pooling, boolean tied) {
    AttentionSpec ls = AttentionSpec.longShort().setWidth(16).setHeads(2).setWindow(4).setRank(3).build();
    return ModelSpec.classifier().setVocabSize(20).setMaxLength(N + 1).setWidth(16).setLayers(3).setHiddenWidth(32)
        .setAttention(ls).setClasses(3).optPooling(pooling).optTiedLayers(tied).optDropout(0.1).build();
  }

  @Test
  void gradientsEqualThePlainStepsInFloat64() {
    for (ModelSpec spec : List.of(spec(Pooling.MEAN, false), spec(Pooling.CLS_LAST_LAYER, false),
        spec(Pooling.MEAN, true))) {
      double[][] plain = lossAndGradients(spec, false);
      double[][] recomputed = lossAndGradients(spec, true);
      assertEquals(plain.length, recomputed.length);
      double worst = 0;
      for (int i = 0; i < plain.length; i++) {
        assertEquals(plain[i].length, recomputed[i].length);
        for (int j = 0; j < plain[i].length; j++) {
          worst = Math.max(worst, Math.abs(plain[i][j] - recomputed[i][j]));
        }
      }
      assertTrue(worst <= 1e-6, "largest difference " + worst + " (" + spec.pooling() + ", tied " + spec.tiedLayers() + ")");
      // dropout was on: a step without it gives another loss
      assertTrue(Math.abs(plain[0][0] - lossWithoutDropout(spec)) > 1e-6, "the dropout masks were applied");
    }
  }

  /** [loss], then each parameter's gradient, flattened, in parameter order. */
  private static double[][] lossAndGradients(ModelSpec spec, boolean recompute) {
    try (ModelGraph<TFloat64> g = ModelGraph.builder(spec).setDtype(TFloat64.class).setBatch(B).setLength(N).optSeed(3)
        .optTraining(true).optRecompute(recompute ? Recompute.INSTANCE : null).build()) {
      assertEquals(recompute, g.recompute());
      // one carrier per block application: the gradients below come through the recompute functions
      long carriers = 0;
      for (java.util.Iterator<org.tensorflow.GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
        org.tensorflow.GraphOperation op = it.next();
        carriers += op.type().equals("IdentityN") && op.name().contains("_carrier") ? 1 : 0;
      }
      assertEquals(recompute ? spec.layers() : 0, carriers);
      List<Operand<TFloat64>> grads = Gradients.of(g.graph(), g.loss(), g.parameters().list(), TFloat64.class);
      List<Tensor> fed = inputs(0.1f);
      try {
        Session.Runner r = feed(g, fed).fetch(g.loss());
        grads.forEach(r::fetch);
        try (Result out = r.run()) {
          double[][] v = new double[grads.size() + 1][];
          for (int i = 0; i < v.length; i++) {
            v[i] = HostTensors.toDoubles(out.get(i));
          }
          return v;
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static double lossWithoutDropout(ModelSpec spec) {
    try (ModelGraph<TFloat64> g = ModelGraph.builder(spec).setDtype(TFloat64.class).setBatch(B).setLength(N).optSeed(3)
        .optTraining(true).build()) {
      List<Tensor> fed = inputs(0f);
      try (Result out = feed(g, fed).fetch(g.loss()).run()) {
        return HostTensors.toDoubles(out.get(0))[0];
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  private static Session.Runner feed(ModelGraph<TFloat64> g, List<Tensor> fed) {
    return g.session().runner().feed(g.inputs().get("input_ids"), fed.get(0)).feed(g.inputs().get("mask"), fed.get(1))
        .feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3)).feed(g.dropoutRate(), fed.get(4));
  }

  /** Token ids, a mask with the second row padded after 17 tokens, labels, dropout seed and rate. */
  private static List<Tensor> inputs(float rate) {
    Random rnd = new Random(11);
    int[] ids = new int[B * N];
    int[] mask = new int[B * N];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1 + rnd.nextInt(19);
      mask[i] = i < N || i % N < 17 ? 1 : 0;
    }
    List<Tensor> t = new ArrayList<>();
    t.add(HostTensors.ints(new long[] {B, N}, ids));
    t.add(HostTensors.ints(new long[] {B, N}, mask));
    t.add(HostTensors.ints(new long[] {B}, new int[] {2, 0}));
    t.add(TInt64.vectorOf(5, 7));
    t.add(TFloat32.scalarOf(rate));
    return t;
  }

  @Test
  void whatDoesNotCombineIsRefusedByName() {
    ModelSpec spec = spec(Pooling.MEAN, false);
    IllegalArgumentException xla = assertThrows(IllegalArgumentException.class, () -> ModelGraph.builder(spec)
        .setDtype(TFloat32.class).setBatch(B).setLength(N).optTraining(true).optRecompute(Recompute.INSTANCE)
        .optExecution(Xla.MUST_COMPILE).build());
    assertTrue(xla.getMessage().contains("recompute") && xla.getMessage().contains("XLA"), xla.getMessage());
    IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class, () -> ModelGraph.builder(spec)
        .setDtype(TBfloat16.class).optVariableDtype(TFloat32.class).setBatch(B).setLength(N).optTraining(true)
        .optRecompute(Recompute.INSTANCE).build());
    assertTrue(mixed.getMessage().contains("recompute") && mixed.getMessage().contains("mixed precision"),
        mixed.getMessage());
    IllegalArgumentException inference = assertThrows(IllegalArgumentException.class, () -> ModelGraph.builder(spec)
        .setDtype(TFloat32.class).setBatch(B).setLength(N).optRecompute(Recompute.INSTANCE).build());
    assertTrue(inference.getMessage().contains("training"), inference.getMessage());
    // the XLA-compiled training step rebuilds the forward inside its function: refused there
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(B).setLength(N)
        .optTraining(true).optRecompute(Recompute.INSTANCE).build()) {
      IllegalArgumentException step = assertThrows(IllegalArgumentException.class, () -> CompiledStep.build(g,
          PlainStep.optimizer(g, OptimizerSpec.authorsLra(1, 10), TFloat32.class)));
      assertTrue(step.getMessage().contains("--recompute") && step.getMessage().contains("--xla"), step.getMessage());
    }
  }
}
