package io.longshort.graph.decode;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.decode.DecodeCache;
import io.longshort.graph.decode.IncrementalDecoder;
import io.longshort.graph.model.ModelGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.XlaFunction;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Positions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * One decode step at a time over the cache gives the full causal graph's logits at every position
 * (within 1e-4), for random models whose prompts cross several segment and window boundaries:
 * the step runs in the full graph's own graph (same variables), half the cases compiled by XLA.
 */
class IncrementalDecoderTest {
  static final double TOLERANCE = 1e-4;
  static final int BATCH = 2;

  record Case(String name, ModelSpec spec, int length, boolean xla) {}

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // window 4, segment 3: 20 positions cross 6 segment and 4 window boundaries
    cases.add(new Case("ls w4 l3 r1", lm(AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4)
        .setSegment(3).setRank(1).build(), Positions.LEARNED, false), 20, false));
    cases.add(new Case("ls w5 l3 r2 xla", lm(AttentionSpec.causalLongShort().setWidth(12).setHeads(3).setWindow(5)
        .setSegment(3).setRank(2).build(), Positions.SINUSOIDAL, false), 19, true));
    cases.add(new Case("ls w3 l4 r0 tied-embeddings", lm(AttentionSpec.causalLongShort().setWidth(8).setHeads(2)
        .setWindow(3).setSegment(4).setRank(0).build(), Positions.LEARNED, true), 17, false));
    cases.add(new Case("ls w8 l16 r1 (segment longer than the window) xla", lm(AttentionSpec.causalLongShort()
        .setWidth(8).setHeads(1).setWindow(8).setSegment(16).setRank(1).build(), Positions.LEARNED, false), 40, true));
    cases.add(new Case("full causal", lm(AttentionSpec.causalFull().setWidth(8).setHeads(2).build(),
        Positions.LEARNED, false), 13, false));
    AttentionSpec ls = AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setSegment(3).setRank(1)
        .build();
    cases.add(new Case("tied layers", lm(ls, Positions.LEARNED, false).toBuilder().optTiedLayers(true).build(), 14,
        false));
    cases.add(new Case("full then long-short layers", lm(ls, Positions.LEARNED, false).toBuilder()
        .optAttentionPerLayer(List.of(AttentionSpec.causalFull().setWidth(8).setHeads(2).build(), ls)).build(), 14,
        false));
    return cases;
  }

  static ModelSpec lm(AttentionSpec a, Positions positions, boolean tied) {
    return ModelSpec.languageModel().setVocabSize(11).setMaxLength(48).setWidth(a.width()).setLayers(2)
        .setHiddenWidth(2 * a.width()).setAttention(a).optPositions(positions).optTiedEmbeddings(tied).build();
  }

  @TestFactory
  Stream<DynamicTest> stepLogitsEqualFullGraphLogits() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  private static void check(Case c) {
    int n = c.length();
    int v = c.spec().vocabSize();
    int[] ids = new int[BATCH * n];
    Random rnd = new Random(n);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(v);
    }
    try (ModelGraph<TFloat32> g = ModelGraph.builder(c.spec()).setDtype(TFloat32.class).setBatch(BATCH).setLength(n).optSeed(5).build()) {
      double[] full = g.logits(BATCH, Map.of("input_ids", ids));
      StepGraph step = new StepGraph(g, n, c.xla());
      double worst = 0;
      List<Tensor> cache = step.zeros();
      for (int t = 0; t < n; t++) {
        int[] column = {ids[t], ids[n + t]};
        try (TInt32 idT = HostTensors.ints(new long[] {BATCH}, column);
            TInt32 tT = TInt32.scalarOf(t)) {
          Session.Runner r = g.session().runner().feed(step.ids, idT).feed(step.t, tT);
          for (int i = 0; i < cache.size(); i++) {
            r.feed(step.cacheIn.get(i), cache.get(i));
          }
          r.fetch(step.logits);
          step.cacheOut.forEach(r::fetch);
          Result res = r.run();
          double[] logits = HostTensors.toDoubles(res.get(0));
          for (int b = 0; b < BATCH; b++) {
            for (int j = 0; j < v; j++) {
              worst = Math.max(worst, Math.abs(logits[b * v + j] - full[(b * n + t) * v + j]));
            }
          }
          cache.forEach(Tensor::close);
          cache = new ArrayList<>();
          for (int i = 0; i < step.cacheOut.size(); i++) {
            cache.add(copy(res.get(1 + i)));
          }
          res.close();
        }
      }
      cache.forEach(Tensor::close);
      System.out.printf("IncrementalDecoderTest %s: max |step - full| = %.3g over %d positions%n", c.name(), worst, n);
      assertTrue(worst <= TOLERANCE, c.name() + ": max |step - full| = " + worst);
    }
  }

  private static Tensor copy(Tensor t) {
    return HostTensors.of(TFloat32.class, t.shape().asArray(), HostTensors.toDoubles(t));
  }

  /** A decode step placed in a model's graph (sharing its variables), as a function call. */
  static final class StepGraph {
    final Placeholder<TInt32> ids;
    final Placeholder<TInt32> t;
    final List<Placeholder<TFloat32>> cacheIn = new ArrayList<>();
    final Output<?> logits;
    final List<Output<?>> cacheOut;
    final DecodeCache layout;

    StepGraph(ModelGraph<TFloat32> g, int capacity, boolean xla) {
      Ops tf = Ops.create(g.graph()).withSubScope("decode");
      ids = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(BATCH)));
      t = tf.placeholder(TInt32.class, Placeholder.shape(Shape.scalar()));
      // the layout, from a throwaway decoder in a graph of its own
      try (org.tensorflow.Graph scratch = new org.tensorflow.Graph()) {
        layout = new IncrementalDecoder<>(GraphScope.root(new Parameters<>(scratch, TFloat32.class, 0)), g.spec(),
            capacity).cache();
      }
      List<Operand<?>> inputs = new ArrayList<>(List.of(ids, t));
      for (DecodeCache.Entry e : layout.entries()) {
        Placeholder<TFloat32> p = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(BATCH, e.rows(), e.cols())));
        cacheIn.add(p);
        inputs.add(p);
      }
      XlaFunction.Call call = XlaFunction.build(GraphScope.root(g.parameters()), "decode_step", inputs,
          (scope, args) -> {
            List<Operand<TFloat32>> cache = new ArrayList<>();
            for (int i = 0; i < layout.size(); i++) {
              cache.add(args.get(2 + i, TFloat32.class));
            }
            IncrementalDecoder.Step<TFloat32> s = new IncrementalDecoder<>(scope, g.spec(), capacity)
                .step(args.get(0, TInt32.class), args.get(1, TInt32.class), cache);
            List<Operand<?>> outs = new ArrayList<>(List.of(s.logits()));
            outs.addAll(s.cache());
            return outs;
          }, xla);
      logits = call.outputs().get(0);
      cacheOut = call.outputs().subList(1, call.outputs().size());
    }

    List<Tensor> zeros() {
      List<Tensor> out = new ArrayList<>();
      for (DecodeCache.Entry e : layout.entries()) {
        out.add(HostTensors.of(TFloat32.class, new long[] {BATCH, e.rows(), e.cols()},
            new double[Math.toIntExact(BATCH * e.rows() * e.cols())]));
      }
      return out;
    }
  }

  @Test
  void refusesClassifiersAndTooLongCapacity() {
    ModelSpec classifier = ModelSpec.classifier().setVocabSize(11).setMaxLength(48).setWidth(8).setLayers(1)
        .setHiddenWidth(16).setClasses(3).setAttention(AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(4)
            .setRank(1).build()).build();
    try (org.tensorflow.Graph graph = new org.tensorflow.Graph()) {
      GraphScope<TFloat32> root = GraphScope.root(new Parameters<>(graph, TFloat32.class, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new IncrementalDecoder<>(root, classifier, 8));
      assertTrue(e.getMessage().contains("language_model"), e.getMessage());
      ModelSpec causal = cases().get(0).spec();
      e = assertThrows(IllegalArgumentException.class, () -> new IncrementalDecoder<>(root, causal, 49));
      assertTrue(e.getMessage().contains("maxLength"), e.getMessage());
      assertEquals(48, causal.maxLength());
    }
  }
}
