package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.longshort.graph.core.FanOut;
import io.longshort.graph.core.Gradients;
import io.longshort.graph.core.HostTensors;
import io.longshort.io.HostArray;
import io.longshort.spec.ModelOverrides;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.TrainingSetting;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * The authors'-LM training step sums every gradient in a fixed order, so that a run repeats bit
 * for bit (what the killed-and-resumed test of {@code train-lm} checks): TF's CPU {@code AddN}
 * adds into whichever input buffer it may take over, which depends on thread timing, so an AddN
 * of three or more gradients changes its addition order from run to run. The step must have none,
 * as built and as the session runs it (after Grappler, whose arithmetic optimizer merges chains of
 * sums into one AddN).
 */
class TransformerLsGradientSumsTest {
  static List<String> addNsOfThreeOrMore(Graph g) {
    List<String> found = new ArrayList<>();
    for (Iterator<GraphOperation> it = g.operations(); it.hasNext();) {
      GraphOperation op = it.next();
      if (op.type().equals("AddN") && op.numInputs() >= 3) {
        found.add(op.name() + " (" + op.numInputs() + " inputs)");
      }
    }
    return found;
  }

  /** The same in the partition graphs a session ran (after Grappler): data inputs only. */
  static List<String> addNsOfThreeOrMore(List<GraphDef> partitions) {
    List<String> found = new ArrayList<>();
    for (GraphDef partition : partitions) {
      for (NodeDef node : partition.getNodeList()) {
        long data = node.getInputList().stream().filter(in -> !in.startsWith("^")).count();
        if (node.getOp().contains("AddN") && data >= 3) {
          found.add(node.getName() + " (" + data + " inputs)");
        }
      }
    }
    return found;
  }

  @Test
  void lmTrainingStepHasNoAddNOfThreeOrMoreGradients() {
    TransformerLsSpec spec = TransformerLsSpec.builder().setVocabSize(256).setWidth(8).setInnerWidth(12).setHeads(2)
        .setLayers(2).setMemLen(8).setWindow(4).setChunkSize(2).setChunkRank(1).optDropout(0.1).optEmbDropout(0.1)
        .build();
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(spec, TFloat32.class, 2, 8, 0, null,
        io.longshort.compile.XlaPieces.INSTANCE)) {
      assertEquals(List.of(), addNsOfThreeOrMore(lm.graph()));
      // and none in the graph the session runs, after Grappler (whose AddOpsRewrite merges sums)
      int[] ids = new int[16];
      java.util.Arrays.setAll(ids, i -> (i * 37) % 256);
      try (Tensor idsT = HostTensors.ints(new long[] {2, 8}, ids); Tensor targets = HostTensors.ints(new long[] {2, 8}, ids);
          Tensor cache = lm.zeroCache(); Tensor seed = TInt64.vectorOf(0, 1); Tensor rate = TFloat32.scalarOf(0.1f)) {
        Session.Runner runner = lm.session().runner().feed(lm.inputs().get("input_ids"), idsT)
            .feed(lm.inputs().get("targets"), targets).feed(lm.inputs().get("cache"), cache)
            .feed(lm.dropoutSeed(), seed).feed(lm.dropoutRate(), rate)
            .setOptions(RunOptions.newBuilder().setOutputPartitionGraphs(true).build());
        lm.gradients().forEach(runner::fetch);
        List<String> run;
        try (Result r = runner.runAndFetchMetadata()) {
          run = addNsOfThreeOrMore(r.getMetadata().orElseThrow().getPartitionGraphsList());
        }
        assertEquals(List.of(), run);
      }
    }
  }

  /**
   * The LRA classifiers' training step (the shipped settings train --spec lra_listops / lra_text /
   * lra_retrieval build, at a short length): ListOps' window 16 puts its R + G global slots in
   * every window tile, Text's window 1 takes them as separate products, Retrieval encodes two
   * documents with one set of weights; pooling cls_last_layer gives the last layer a CLS token,
   * cls_token every layer, mean none. LayerNorm, GELU and dropout run as compiled pieces from
   * {@code piecesFrom} elements on: 1 as at the settings' full size (the shipped 2^20 is more than
   * this length's tensors), 2^20 as the plain ops of a small model.
   */
  @ParameterizedTest
  @CsvSource({"lra_listops, CLS_LAST_LAYER, 1", "lra_listops, CLS_TOKEN, 1", "lra_text, MEAN, 1",
      "lra_listops, CLS_LAST_LAYER, 1048576", "lra_retrieval, CLS_LAST_LAYER, 1048576"})
  void classifierTrainingStepHasNoAddNOfThreeOrMoreGradients(String setting, Pooling pooling, long piecesFrom)
      throws IOException {
    ModelSpec spec = TrainingSetting.load(setting).loadModel(ModelOverrides.builder().build()).toBuilder()
        .optPooling(pooling).optDropout(0.1).build();
    int batch = 2;
    int length = 40;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(batch).setLength(length)
        .optSeed(1).optTraining(true).optCompiledPieces(io.longshort.compile.XlaPieces.withMinElements(piecesFrom))
        .build()) {
      List<Operand<TFloat32>> grads = Gradients.of(g.graph(), g.loss(),
          Gradients.asVariables(g.parameters().list(), TFloat32.class), TFloat32.class);
      assertEquals(List.of(), addNsOfThreeOrMore(g.graph()), setting + " " + pooling + ", as built");
      List<Tensor> fed = new ArrayList<>();
      try {
        Session.Runner runner = g.session().runner()
            .setOptions(RunOptions.newBuilder().setOutputPartitionGraphs(true).build());
        for (Map.Entry<String, HostArray> in : g.exampleInputs(batch, 3).entrySet()) {
          fed.add(in.getValue().tensor());
          runner.feed(g.inputs().get(in.getKey()), fed.get(fed.size() - 1));
        }
        fed.add(HostTensors.ints(new long[] {batch}, new int[] {1, 0}));
        runner.feed(g.labels(), fed.get(fed.size() - 1));
        fed.add(TInt64.vectorOf(0, 1));
        runner.feed(g.dropoutSeed(), fed.get(fed.size() - 1));
        fed.add(TFloat32.scalarOf(0.1f));
        runner.feed(g.dropoutRate(), fed.get(fed.size() - 1));
        grads.forEach(runner::fetch);
        try (Result r = runner.runAndFetchMetadata()) {
          assertEquals(List.of(), addNsOfThreeOrMore(r.getMetadata().orElseThrow().getPartitionGraphsList()),
              setting + " " + pooling + ", as run");
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  /** Four uses of x through FanOut: no AddN in the gradient, and it is still the sum of the four. */
  @Test
  void fanOutSumsByOneReductionAndKeepsTheGradient() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat64> x = tf.constant(new double[] {1.5, -2.0});
      List<Operand<TFloat64>> uses = FanOut.uses(tf, x, 4);
      assertEquals(4, uses.size());
      // loss = sum over uses of (use * c_i): d loss / dx = c_0 + c_1 + c_2 + c_3
      Operand<TFloat64> loss = null;
      double[] c = {0.1, 0.2, 0.3, 0.4};
      for (int i = 0; i < uses.size(); i++) {
        assertEquals(x.shape(), uses.get(i).shape());
        Operand<TFloat64> term = tf.sum(tf.math.mul(uses.get(i), tf.constant(c[i])), tf.constant(0));
        loss = loss == null ? term : tf.math.add(loss, term);
      }
      Output<?>[] grad = g.addGradients(loss.asOutput(), new Output<?>[] {x.asOutput()});
      assertEquals(List.of(), addNsOfThreeOrMore(g));
      try (var r = s.runner().fetch(grad[0]).run()) {
        double sum = c[0] + c[1] + c[2] + c[3];
        assertArrayEquals(new double[] {sum, sum}, HostTensors.toDoubles(r.get(0)), 1e-15);
      }
    }
  }
}
