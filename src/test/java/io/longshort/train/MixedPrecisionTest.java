package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * bfloat16 compute on float32 master weights ({@link Trainer#bfloat16}) on TrainerTest's synthetic
 * task: the graph's dtypes, learning, and checkpoints shared with float32 runs.
 */
class MixedPrecisionTest {
  @TempDir
  Path dir;

  static final int STEPS = 30;

  private static List<GraphOperation> ops(Graph g) {
    List<GraphOperation> all = new ArrayList<>();
    for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
      all.add(it.next());
    }
    return all;
  }

  private static Map<String, double[]> weights(Trainer<?> t) {
    Map<String, double[]> w = new LinkedHashMap<>();
    for (Parameter<?> p : t.graph().parameters().list()) {
      try (var r = t.graph().session().runner().fetch(p.variable()).run()) {
        w.put(p.name(), HostTensors.toDoubles(r.get(0)));
      }
    }
    return w;
  }

  /** (1) Variables, slots and every write to them are float32; every matmul (forward and backward) is bfloat16. */
  @Test
  void variablesAreFloat32AndMatmulsBfloat16() throws IOException {
    try (Trainer<TBfloat16> t = Trainer.bfloat16(TrainerTest.MODEL, TrainerTest.optimizer(STEPS),
        TrainerTest.config(STEPS), dir.resolve("run"))) {
      assertTrue(t.graph().parameters().isMixed());
      for (Parameter<TBfloat16> p : t.graph().parameters().list()) {
        assertEquals(TFloat32.class, p.variableDtype(), p.name());
        assertEquals(TBfloat16.class, p.value().type(), p.name());
      }
      int reads = 0;
      int matmuls = 0;
      int gradientMatmuls = 0;
      int writes = 0;
      for (GraphOperation op : ops(t.graph().graph())) {
        switch (op.type()) {
          case "VarHandleOp" -> {
            DataType d = op.attributes().getAttrType("dtype");
            assertTrue(d == DataType.DT_FLOAT || d == DataType.DT_INT64, op.name() + " is " + d);
          }
          case "ReadVariableOp" -> {
            DataType d = op.output(0).dataType();
            assertTrue(d == DataType.DT_FLOAT || d == DataType.DT_INT64, op.name() + " reads " + d);
            reads++;
          }
          case "AssignVariableOp", "AssignAddVariableOp" -> {
            DataType d = op.input(1).dataType();
            assertTrue(d == DataType.DT_FLOAT || d == DataType.DT_INT64, op.name() + " writes " + d);
            writes++;
          }
          case "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Einsum" -> {
            assertEquals(DataType.DT_BFLOAT16, op.output(0).dataType(), op.name());
            matmuls++;
            if (op.name().startsWith("gradients")) {
              gradientMatmuls++;
            }
          }
          default -> { }
        }
      }
      assertTrue(reads > 0 && writes > 0, reads + " reads, " + writes + " writes");
      assertTrue(matmuls > 0 && gradientMatmuls > 0, matmuls + " matmuls, " + gradientMatmuls + " in the gradient");
      // the loss and the gradient norm the optimizer clips with are float32
      assertEquals(TFloat32.class, t.graph().loss().type());
    }
  }

  /**
   * (3) From the same float32 initial weights, data and dropout masks, bfloat16 training lowers the
   * validation loss about as much as float32 training (at least half as much), and its master
   * weights move in float32 (updates far below bfloat16's resolution are kept).
   */
  @Test
  void bfloat16TrainingLearnsLikeFloat32() throws IOException {
    double[] f32;
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(STEPS),
        TrainerTest.config(STEPS), TFloat32.class, dir.resolve("f32"))) {
      f32 = run(t);
    }
    double[] bf16;
    Map<String, double[]> initial;
    Map<String, double[]> trained;
    try (Trainer<TBfloat16> t = Trainer.bfloat16(TrainerTest.MODEL, TrainerTest.optimizer(STEPS),
        TrainerTest.config(STEPS), dir.resolve("bf16"))) {
      initial = weights(t);
      bf16 = run(t);
      trained = weights(t);
    }
    System.out.printf("valid loss float32 %.4f -> %.4f, bfloat16 %.4f -> %.4f%n", f32[0], f32[1], bf16[0], bf16[1]);
    assertEquals(f32[0], bf16[0], 0.02, "same initial weights: the loss before training agrees");
    double f32Drop = f32[0] - f32[1];
    double bf16Drop = bf16[0] - bf16[1];
    assertTrue(f32Drop > 0.05, "float32 learns: " + f32Drop);
    assertTrue(bf16Drop > 0.5 * f32Drop, "bfloat16 drop " + bf16Drop + " vs float32 " + f32Drop);
    assertEquals(f32[1], bf16[1], 0.25, "final valid losses");
    // master weights hold values that bfloat16 cannot: some weight moved by less than its bf16 spacing
    boolean fine = false;
    for (String name : trained.keySet()) {
      double[] a = initial.get(name);
      double[] b = trained.get(name);
      for (int i = 0; i < a.length && !fine; i++) {
        double spacing = Math.ulp((float) a[i]) * (1 << 16);
        fine = b[i] != a[i] && Math.abs(b[i] - a[i]) < spacing / 2 && a[i] != 0;
      }
    }
    assertTrue(fine, "some update is smaller than half a bfloat16 ulp and still applied");
  }

  private static double[] run(Trainer<?> t) throws IOException {
    double before = t.evaluate(TrainerTest.task(7, 64), 0).loss();
    t.train(TrainerTest.task(1, 400), null, new TrainingListener() {});
    double after = t.evaluate(TrainerTest.task(7, 64), 0).loss();
    return new double[] {before, after};
  }

  /**
   * (4) A bfloat16 run's checkpoint holds float32 values and resumes into a float32 run with the
   * exact master weights and step; the float32 run's evaluation agrees with the bfloat16 one.
   */
  @Test
  void bfloat16CheckpointsRestoreIntoFloat32() throws IOException {
    Path run = dir.resolve("run");
    Map<String, double[]> master;
    double bf16Loss;
    try (Trainer<TBfloat16> t = Trainer.bfloat16(TrainerTest.MODEL, TrainerTest.optimizer(12),
        TrainConfig.builder().setBatchSize(TrainerTest.B).setLength(TrainerTest.N).setSteps(6).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(), run)) {
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
      master = weights(t);
      bf16Loss = t.evaluate(TrainerTest.task(7, 64), 0).loss();
    }
    Path ckpt = Checkpoints.latest(run.resolve("checkpoints")).orElseThrow();
    try (io.longshort.weights.Safetensors st = io.longshort.weights.Safetensors.open(ckpt)) {
      for (String name : master.keySet()) {
        assertEquals(io.longshort.weights.Dtype.F32, st.info(name).dtype(), name);
      }
      assertEquals("bfloat16", st.metadata().get("compute_dtype"));
    }
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(12),
        TrainConfig.builder().setBatchSize(TrainerTest.B).setLength(TrainerTest.N).setSteps(12).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(), TFloat32.class, run)) {
      assertEquals(6, t.step());
      Map<String, double[]> restored = weights(t);
      for (String name : master.keySet()) {
        assertFalse(t.graph().parameters().get(name).mixed());
        org.junit.jupiter.api.Assertions.assertArrayEquals(master.get(name), restored.get(name), 0.0, name);
      }
      double f32Loss = t.evaluate(TrainerTest.task(7, 64), 0).loss();
      assertEquals(f32Loss, bf16Loss, 0.02 * Math.max(1, f32Loss), "float32 vs bfloat16 evaluation of the same weights");
      // and it trains on from there
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
      assertEquals(12, t.step());
    }
  }
}
