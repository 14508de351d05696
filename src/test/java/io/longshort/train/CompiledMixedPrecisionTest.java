package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TBfloat16;

/**
 * {@code --bf16} with {@code --xla}: the XLA-compiled mixed-precision step (bfloat16 compute in the
 * function body, float32 master weights updated inside it) agrees with the plain bfloat16 step
 * within bfloat16 tolerance, from the same weights, data and dropout masks.
 */
class CompiledMixedPrecisionTest {
  @TempDir
  Path dir;

  /** bfloat16's unit roundoff: 8 significand bits. */
  static final double U = Math.pow(2, -8);
  static final int STEPS = 6;

  private record Run(List<Double> losses, Map<String, double[]> weights, boolean compiled) {}

  private Run run(boolean xla) throws IOException {
    List<Double> losses = new ArrayList<>();
    Map<String, double[]> w = new LinkedHashMap<>();
    try (Trainer<TBfloat16> t = Trainer.bfloat16(TrainerTest.MODEL, TrainerTest.optimizer(STEPS),
        TrainConfig.builder().setBatchSize(TrainerTest.B).setLength(TrainerTest.N).setSteps(STEPS).optSeed(42).build(),
        dir.resolve(xla ? "xla" : "plain"), xla)) {
      t.train(TrainerTest.task(1, 40), null, new TrainingListener() {
        @Override
        public void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {
          losses.add(loss);
        }
      });
      for (Parameter<TBfloat16> p : t.graph().parameters().list()) {
        try (var r = t.graph().session().runner().fetch(p.variable()).run()) {
          w.put(p.name(), HostTensors.toDoubles(r.get(0)));
        }
      }
      return new Run(losses, w, t.compiled());
    }
  }

  @Test
  void compiledBfloat16StepAgreesWithThePlainBfloat16Step() throws IOException {
    Run plain = run(false);
    Run xla = run(true);
    assertTrue(xla.compiled() && !plain.compiled());
    assertEquals(STEPS, xla.losses().size());
    for (int s = 0; s < STEPS; s++) {
      double a = plain.losses().get(s);
      double b = xla.losses().get(s);
      System.out.printf("step %d: loss plain %.6f, xla %.6f (%.2f u)%n", s + 1, a, b, Math.abs(a - b) / (U * Math.abs(a)));
      assertEquals(a, b, 4 * U * Math.abs(a), "loss of step " + (s + 1) + " within 4 bf16 ulps");
    }
    // AdamW moves a weight by at most about lr per step (|m / sqrt(v)| <= 1 near the start), so two
    // runs whose gradients differ by bf16 rounding stay within 2 lr per step of each other
    double bound = 2 * 3e-3 * STEPS;
    double max = 0;
    for (String name : plain.weights().keySet()) {
      double[] x = plain.weights().get(name);
      double[] y = xla.weights().get(name);
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    System.out.printf("max weight difference after %d steps: %.3g (bound %.3g)%n", STEPS, max, bound);
    assertTrue(max <= bound, "weights within " + bound + ": " + max);
  }
}
