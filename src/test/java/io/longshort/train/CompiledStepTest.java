package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.compile.TpuCompatibility;
import io.longshort.compile.XlaFunction;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TFloating;

/**
 * The whole training step as one must-compile XLA call ({@link CompiledStep}, {@code Trainer(...,
 * xla = true)}): same weights and optimizer state as plain steps, really one compiled cluster, and
 * resumable. Model, task and optimizer are {@link TrainerTest}'s (dropout 0.1, AdamW, clipping,
 * warm-up then linear decay).
 */
class CompiledStepTest {
  @TempDir
  Path dir;

  static final int B = TrainerTest.B;
  static final int N = TrainerTest.N;

  /** Every variable of the training state (parameters and optimizer/...), by checkpoint name. */
  private static Map<String, double[]> state(Trainer<?> t) {
    Map<String, double[]> w = new LinkedHashMap<>();
    for (TrainingVariable v : t.variables()) {
      try (var r = t.graph().session().runner().fetch(v.value()).run()) {
        Tensor x = r.get(0);
        if (x instanceof TInt64 l) {
          w.put(v.name(), new double[] {l.getLong()});
        } else {
          w.put(v.name(), HostTensors.toDoubles(x));
        }
      }
    }
    return w;
  }

  private static double maxDiff(Map<String, double[]> a, Map<String, double[]> b, List<String> where) {
    assertEquals(a.keySet(), b.keySet());
    double max = 0;
    for (String name : a.keySet()) {
      double[] x = a.get(name);
      double[] y = b.get(name);
      assertEquals(x.length, y.length, name);
      for (int i = 0; i < x.length; i++) {
        double d = Math.abs(x[i] - y[i]);
        if (d > max) {
          max = d;
          where.add(0, name + "[" + i + "]: " + x[i] + " vs " + y[i]);
        }
      }
    }
    return max;
  }

  private <T extends TFloating> Map<String, double[]> train(Class<T> dtype, boolean xla, long steps, String run,
      List<double[]> log) throws IOException {
    return train(TrainerTest.optimizer(12), dtype, xla, steps, run, log);
  }

  private <T extends TFloating> Map<String, double[]> train(OptimizerSpec optimizer, Class<T> dtype,
      boolean xla, long steps, String run, List<double[]> log) throws IOException {
    try (Trainer<T> t = new Trainer<>(TrainerTest.MODEL, optimizer,
        TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(steps).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(), dtype, dir.resolve(run), xla)) {
      assertEquals(xla, t.compiled());
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {
        @Override
        public void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {
          log.add(new double[] {loss, learningRate, gradientNorm});
        }
      });
      assertEquals(steps, t.step());
      return state(t);
    }
  }

  private <T extends TFloating> void compiledEqualsPlain(OptimizerSpec optimizer, Class<T> dtype, int steps,
      double tolerance) throws IOException {
    List<double[]> plainLog = new ArrayList<>();
    List<double[]> xlaLog = new ArrayList<>();
    Map<String, double[]> plain = train(optimizer, dtype, false, steps, "plain", plainLog);
    Map<String, double[]> compiled = train(optimizer, dtype, true, steps, "xla", xlaLog);
    String slot = optimizer.type() == OptimizerSpec.Type.SGD ? ".momentum" : ".v";
    assertTrue(plain.keySet().stream().anyMatch(k -> k.startsWith("optimizer/") && k.endsWith(slot)), "slots compared");
    List<String> where = new ArrayList<>();
    double err = maxDiff(plain, compiled, where);
    assertTrue(err <= tolerance, dtype.getSimpleName() + ": max |plain - xla| over weights and optimizer state = "
        + err + " at " + (where.isEmpty() ? "-" : where.get(0)));
    for (int s = 0; s < plainLog.size(); s++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(plainLog.get(s)[k], xlaLog.get(s)[k], tolerance * Math.max(1, Math.abs(plainLog.get(s)[k])),
            "step " + (s + 1) + " output " + k + " (loss, learning rate, gradient norm)");
      }
    }
    // the steps did something: weights moved from their initial values
    Map<String, double[]> start = train(optimizer, dtype, false, 1, "one", new ArrayList<>());
    assertTrue(maxDiff(start, plain, new ArrayList<>()) > 1e-3);
  }

  /** 8 compiled steps (dropout 0.1, seeded per step) = 8 plain steps, float32: within 1e-5. */
  @Test
  void compiledStepsEqualPlainStepsFloat32() throws IOException {
    compiledEqualsPlain(TrainerTest.optimizer(12), TFloat32.class, 8, 1e-5);
  }

  /** SGD with momentum and L2 weight decay, cosine schedule, no clipping: 4 steps within 1e-5. */
  @Test
  void compiledSgdStepsEqualPlainSteps() throws IOException {
    compiledEqualsPlain(Sgd.builder().setLearningRate(0.05).optEpsilon(1e-8).optWeightDecay(0.01).optMomentum(0.9)
        .optSchedule(OptimizerSpec.Schedule.COSINE).optWarmup(1).optTotalSteps(6).build(), TFloat32.class, 4, 1e-5);
  }

  /** Stopped after 7 compiled steps and resumed = 12 compiled steps in one go. */
  @Test
  void resumedCompiledRunEqualsUninterruptedRun() throws IOException {
    Map<String, double[]> straight = train(TFloat32.class, true, 12, "straight", new ArrayList<>());
    train(TFloat32.class, true, 7, "resumed", new ArrayList<>());
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, TrainerTest.optimizer(12),
        TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(12).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(), TFloat32.class, dir.resolve("resumed"), true)) {
      assertEquals(7, t.step());
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {});
      List<String> where = new ArrayList<>();
      double err = maxDiff(straight, state(t), where);
      assertTrue(err <= 1e-6, "max diff " + err + " at " + (where.isEmpty() ? "-" : where.get(0)));
    }
  }

  /** Accumulating gradients stays plain (and says so). */
  @Test
  void accumulationRunsPlain() throws IOException {
    OptimizerSpec k2 = AdamW.builder().setLearningRate(3e-3).optWeightDecay(0.01).optWarmup(5).optTotalSteps(12)
        .optClipNorm(1.0).optAccumulationSteps(2).build();
    try (Trainer<TFloat32> t = new Trainer<>(TrainerTest.MODEL, k2, TrainConfig.builder().setBatchSize(B).setLength(N).setSteps(2).optSeed(42).optEvalEvery(100).optEvalBatches(1).optCheckpointEvery(100).optKeepCheckpoints(3).optEarlyStopPatience(0).build(),
        TFloat32.class, dir.resolve("k2"), true)) {
      assertFalse(t.compiled());
    }
  }

  private static ModelGraph<TFloat32> graphWithOptimizer(List<Optimizer<TFloat32>> out) {
    ModelGraph<TFloat32> g = ModelGraph.builder(TrainerTest.MODEL).setDtype(TFloat32.class).setBatch(B).setLength(N).optSeed(42).optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build();
    out.add(PlainStep.optimizer(g, TrainerTest.optimizer(12), TFloat32.class));
    return g;
  }

  private static List<Tensor> feeds(ModelGraph<TFloat32> g, Session.Runner runner) {
    List<Tensor> fed = new ArrayList<>();
    int[] ids = new int[B * N];
    int[] mask = new int[B * N];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 1 + i % 6;
      mask[i] = 1;
    }
    fed.add(HostTensors.ints(new long[] {B, N}, ids));
    fed.add(HostTensors.ints(new long[] {B, N}, mask));
    fed.add(HostTensors.ints(new long[] {B}, new int[B]));
    fed.add(TInt64.vectorOf(42, 0));
    fed.add(TFloat32.scalarOf(0.1f));
    runner.feed(g.inputs().get("input_ids"), fed.get(0)).feed(g.inputs().get("mask"), fed.get(1))
        .feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3)).feed(g.dropoutRate(), fed.get(4));
    return fed;
  }

  /**
   * The step is one StatefulPartitionedCall with _XlaMustCompile whose function takes every
   * parameter and optimizer variable as a resource, computes the gradients and assigns inside; an
   * op without XLA kernel planted in that body makes the run fail with XLA's error.
   */
  @Test
  void theStepIsOneMustCompileCallAndANonCompilableOpFailsIt() {
    List<Optimizer<TFloat32>> opt = new ArrayList<>();
    try (ModelGraph<TFloat32> g = graphWithOptimizer(opt)) {
      CompiledStep<TFloat32> step = CompiledStep.build(g, opt.get(0));
      GraphOperation call = g.graph().operation(CompiledStep.NAME);
      assertEquals(XlaFunction.CALL_OP, call.type());
      assertTrue(call.attributes().getAttrBool(XlaFunction.MUST_COMPILE_ATTR));
      assertEquals(step.call().op(), call);
      int params = g.parameters().list().size();
      int state = opt.get(0).state().size();
      FunctionDef fn = g.graph().getFunction(step.call().functionName()).getFunctionDef();
      long resources = fn.getSignature().getInputArgList().stream()
          .filter(a -> a.getType() == org.tensorflow.proto.DataType.DT_RESOURCE).count();
      assertEquals(params + state, resources, "every parameter and optimizer variable is a resource argument");
      long assigns = fn.getNodeDefList().stream().map(NodeDef::getOp)
          .filter(op -> op.equals("AssignVariableOp") || op.equals("AssignAddVariableOp")).count();
      // AdamW: each parameter, its m and v, and the step counter
      assertEquals(3L * params + 1, assigns);
      assertTrue(fn.getNodeDefList().stream().anyMatch(n -> n.getName().startsWith("gradients")),
          "gradients are computed in the body");
      TpuCompatibility.Report tpu = TpuCompatibility.check(g.graph(),
          List.of(step.loss(), step.learningRate(), step.gradientNorm()));
      assertTrue(tpu.issues().isEmpty(), "the compiled step passes the TPU check: " + tpu);
      try (Session s = g.session()) {
        Session.Runner r = s.runner();
        List<Tensor> fed = feeds(g, r);
        try (var out = r.fetch(step.loss()).fetch(step.learningRate()).fetch(step.gradientNorm()).run()) {
          assertTrue(Double.isFinite(HostTensors.toDoubles(out.get(0))[0]));
        } finally {
          fed.forEach(Tensor::close);
        }
        try (var out = s.runner().fetch(opt.get(0).step()).run()) {
          assertEquals(1L, ((TInt64) out.get(0)).getLong(), "the call incremented the step counter");
        }
      }
    }
    try (ModelGraph<TFloat32> g = graphWithOptimizer(opt)) {
      CompiledStep<TFloat32> step = CompiledStep.build(g, opt.get(1), true, (scope, loss) -> {
        Ops tf = scope.tf().withSubScope("debug");
        Operand<TString> text = tf.dtypes.asString(loss); // host-only: no XLA kernel
        Operand<TInt32> len = tf.strings.stringLength(text);
        return tf.math.add(loss, tf.math.mul(tf.dtypes.cast(len, TFloat32.class), tf.constant(0f)));
      });
      TpuCompatibility.Report tpu = TpuCompatibility.check(g.graph(), List.of(step.loss()));
      assertTrue(tpu.issues().stream().anyMatch(i -> i.type().equals("AsString")), tpu.toString());
      Session s = g.session();
      Session.Runner r = s.runner();
      List<Tensor> fed = feeds(g, r);
      try {
        Exception e = assertThrows(TFInvalidArgumentException.class, () -> r.fetch(step.loss()).run().close());
        String m = e.getMessage();
        assertTrue(m.contains("Detected unsupported operations when trying to compile graph"), m);
        assertTrue(m.contains("AsString"), m);
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }
}
