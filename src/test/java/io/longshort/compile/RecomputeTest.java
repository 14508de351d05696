package io.longshort.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Recomputation;
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
import org.tensorflow.types.family.TFloating;

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
      check(spec, null);
    }
  }

  /**
   * With compiled pieces (LayerNorm, GELU, dropout) from one element on, as {@code train} builds
   * them: the blocks rebuilt in the backward pass use the same pieces, nested in the recompute
   * function, which TensorFlow inlines all the same, and give the plain step's gradients.
   */
  @Test
  void withCompiledPiecesTheGradientsEqualThePlainStepsInFloat64() {
    for (ModelSpec spec : List.of(spec(Pooling.MEAN, false), spec(Pooling.CLS_LAST_LAYER, false),
        spec(Pooling.MEAN, true))) {
      check(spec, XlaPieces.withMinElements(1));
    }
  }

  /**
   * LayerNorm and GELU are compiled pieces in float32 only (dropout in any dtype): in float32 the
   * forward and the rebuilt blocks run all three, and the step gives the plain step's loss and
   * gradients up to float32's summation order (the same ops on the same values; 1e-5 against
   * gradients of order 1).
   */
  @Test
  void withAllCompiledPiecesTheGradientsEqualThePlainStepsInFloat32() {
    ModelSpec spec = spec(Pooling.CLS_LAST_LAYER, false);
    CompiledPieces pieces = XlaPieces.withMinElements(1);
    double[][] plain = lossAndGradients(spec, null, pieces, TFloat32.class);
    for (Recompute recompute : List.of(Recompute.INSTANCE, Recompute.HALVES)) {
      double worst = largestDifference(plain, lossAndGradients(spec, recompute, pieces, TFloat32.class));
      assertTrue(worst <= 1e-5, "largest difference " + worst + " (" + recompute.segments() + ")");
    }
  }

  /** The plain step against whole blocks and against halves. */
  private static void check(ModelSpec spec, CompiledPieces pieces) {
    double[][] plain = lossAndGradients(spec, null, pieces, TFloat64.class);
    for (Recompute recompute : List.of(Recompute.INSTANCE, Recompute.HALVES)) {
      double worst = largestDifference(plain, lossAndGradients(spec, recompute, pieces, TFloat64.class));
      assertTrue(worst <= 1e-6, "largest difference " + worst + " (" + recompute.segments() + ", " + spec.pooling()
          + ", tied " + spec.tiedLayers() + ", pieces " + (pieces != null) + ")");
    }
    // dropout was on: a step without it gives another loss
    assertTrue(Math.abs(plain[0][0] - lossWithoutDropout(spec)) > 1e-6, "the dropout masks were applied");
  }

  /**
   * The largest |a - b| over two results of the same shape (each a loss, then gradients, flattened),
   * checking that their shapes agree: the recompute tests' one comparison of a step with the plain step.
   */
  static double largestDifference(double[][] a, double[][] b) {
    assertEquals(a.length, b.length);
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i].length, b[i].length);
      for (int j = 0; j < a[i].length; j++) {
        worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return worst;
  }

  /**
   * [loss], then each parameter's gradient, flattened, in parameter order; {@code recompute} null: the
   * plain step.
   */
  private static <T extends TFloating> double[][] lossAndGradients(ModelSpec spec, Recompute recompute,
      CompiledPieces pieces, Class<T> dtype) {
    boolean halves = recompute != null && recompute.segments() == Recomputation.Segments.HALVES;
    int rebuilt = recompute == null ? 0 : halves ? rebuiltHalves(spec) : spec.layers() - 1;
    try (ModelGraph<T> g = ModelGraph.builder(spec).setDtype(dtype).setBatch(B).setLength(N).optSeed(3)
        .optTraining(true).optCompiledPieces(pieces).optRecompute(recompute).build()) {
      assertEquals(recompute != null, g.recompute());
      // one carrier per segment (a block, or a block's attention half and MLP half) but the step's last (kept
      // plain): those segments' gradients come through the recompute functions
      String carrier = halves ? "(.*/)?transformer(_\\d+)?_(attention|mlp)_carrier" : "(.*/)?transformer(_\\d+)?_carrier";
      long carriers = 0;
      for (java.util.Iterator<org.tensorflow.GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
        org.tensorflow.GraphOperation op = it.next();
        // the compiled pieces' carriers are named after the piece (layer_norm_carrier, gelu_carrier, ...)
        carriers += op.type().equals("IdentityN") && op.name().matches(carrier) ? 1 : 0;
      }
      assertEquals(rebuilt, carriers);
      // the pieces the forward (and so the rebuilt blocks) use: dropout in any dtype, LayerNorm and GELU in float32
      List<String> expected = pieces == null ? List.of()
          : dtype == TFloat32.class ? List.of("dropout_\\d+", "layer_norm", "gelu") : List.of("dropout_\\d+");
      for (String piece : List.of("dropout_\\d+", "layer_norm", "gelu")) {
        long calls = 0;
        for (java.util.Iterator<org.tensorflow.GraphOperation> it = g.graph().operations(); it.hasNext(); ) {
          calls += it.next().name().matches("(.*/)?" + piece + "_carrier") ? 1 : 0;
        }
        assertEquals(expected.contains(piece), calls > 0, "compiled pieces " + piece + " in " + dtype.getSimpleName());
      }
      List<Operand<T>> grads = Gradients.of(g.graph(), g.loss(), g.parameters().list(), dtype);
      if (recompute != null && pieces != null) {
        // each recompute function rebuilds its segment with the forward's pieces: must-compile calls nested in it
        List<org.tensorflow.proto.FunctionDef> rebuilds = g.graph().toGraphDef().getLibrary().getFunctionList().stream()
            .filter(f -> f.getSignature().getName().contains("_recompute")).toList();
        assertEquals(rebuilt, rebuilds.size());
        for (org.tensorflow.proto.FunctionDef f : rebuilds) {
          for (String piece : expected) {
            if (piece.equals("gelu") && f.getSignature().getName().contains("_attention_recompute")) {
              continue; // the MLP half's
            }
            assertTrue(f.getNodeDefList().stream().anyMatch(n -> n.getName().matches("(.*/)?" + piece + "_carrier"))
                && f.getNodeDefList().stream().anyMatch(c -> c.getAttrMap().containsKey(XlaFunction.MUST_COMPILE_ATTR)),
                f.getSignature().getName() + " rebuilds " + piece + " as a compiled piece");
          }
        }
      }
      List<Tensor> fed = inputs(0.1f);
      try {
        Session.Runner r = feed(g, fed).fetch(g.loss());
        grads.forEach(r::fetch);
        r.setOptions(org.tensorflow.proto.RunOptions.newBuilder().setOutputPartitionGraphs(true).build());
        try (Result out = r.runAndFetchMetadata()) {
          if (recompute != null) {
            assertRecomputeFunctionsInlined(out.getMetadata().orElseThrow(), rebuilt);
          }
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

  /**
   * Halves: two segments per block (attention half, MLP half), but a last layer that builds only its CLS
   * row is one, and the step's last segment is kept plain.
   */
  private static int rebuiltHalves(ModelSpec spec) {
    boolean clsRowLast = spec.pooling() == Pooling.CLS_TOKEN || spec.pooling() == Pooling.CLS_LAST_LAYER;
    return (clsRowLast ? 2 * spec.layers() - 1 : 2 * spec.layers()) - 1;
  }

  /**
   * The graph that ran holds no call of a recompute function, and each block's rebuilt ops: TensorFlow
   * inlined every G (with the compiled pieces nested in it too), so the executor frees the rebuilt
   * activations as it goes.
   */
  static void assertRecomputeFunctionsInlined(org.tensorflow.proto.RunMetadata md, int segments) {
    List<org.tensorflow.proto.NodeDef> nodes = md.getPartitionGraphsList().stream()
        .flatMap(pg -> pg.getNodeList().stream()).toList();
    assertTrue(!nodes.isEmpty(), "partition graphs were returned");
    for (org.tensorflow.proto.NodeDef n : nodes) {
      String f = n.getAttrMap().containsKey("f") ? n.getAttrMap().get("f").getFunc().getName() : "";
      assertTrue(!f.contains("_recompute"), n.getName() + " calls " + f + " instead of running its ops inline");
    }
    // a rebuilt op's name: [grappler's prefix/]gradients.../<block>_carrier/<block>_recompute/...
    java.util.regex.Pattern call = java.util.regex.Pattern.compile("^(?:.*/)?(gradients.*?_recompute)/.*$");
    long inlined = nodes.stream().map(n -> call.matcher(n.getName())).filter(java.util.regex.Matcher::matches)
        .map(m -> m.group(1)).distinct().count();
    assertEquals(segments, inlined, "segments whose rebuilt ops ran inline");
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

  private static Session.Runner feed(ModelGraph<?> g, List<Tensor> fed) {
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
