package io.longshort.graph.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.longshort.graph.core.FanOut;
import io.longshort.graph.core.HostTensors;
import io.longshort.spec.TransformerLsSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
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
        List<String> run = new ArrayList<>();
        try (Result r = runner.runAndFetchMetadata()) {
          for (GraphDef partition : r.getMetadata().orElseThrow().getPartitionGraphsList()) {
            for (NodeDef node : partition.getNodeList()) {
              long data = node.getInputList().stream().filter(in -> !in.startsWith("^")).count();
              if (node.getOp().contains("AddN") && data >= 3) {
                run.add(node.getName() + " (" + data + " inputs)");
              }
            }
          }
        }
        assertEquals(List.of(), run);
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
