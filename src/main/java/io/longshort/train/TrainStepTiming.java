package io.longshort.train;

import io.longshort.graph.HostTensors;
import io.longshort.graph.ModelGraph;
import io.longshort.graph.Parameter;
import io.longshort.spec.ModelConfigs;
import io.longshort.spec.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.TensorFlow;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Times a plain training step (forward, addGradients and the optimizer's ops in the graph) against
 * the same step as one XLA-compiled call ({@link CompiledStep}), on one model config with random
 * tokens: warm-up (compilation included) then alternating plain and compiled steps, medians.
 *
 * <pre>
 * java -cp target/classes:$(cat cp.txt) io.longshort.train.TrainStepTiming [config] [N] [B] [steps]
 * </pre>
 */
public final class TrainStepTiming {
  private TrainStepTiming() {}

  public static void main(String[] args) throws Exception {
    String config = args.length > 0 ? args[0] : "lra_listops";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    ModelSpec spec = ModelConfigs.load(config);
    System.out.printf(Locale.ROOT, "TensorFlow %s, %d CPU(s); %s, B=%d N=%d, dropout %.2f, AdamW, float32%n",
        TensorFlow.version(), Runtime.getRuntime().availableProcessors(), config, batch, n, spec.dropout());
    try (ModelGraph<TFloat32> g = ModelGraph.buildForTraining(spec, TFloat32.class, batch, n, 1)) {
      List<Parameter<TFloat32>> params = g.parameters().list();
      Output<?>[] grads = g.graph().addGradients(g.outputs().get("loss").asOutput(),
          params.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
      List<Operand<TFloat32>> gr = new ArrayList<>();
      for (Output<?> o : grads) {
        gr.add(o.expect(TFloat32.class));
      }
      Optimizer<TFloat32> opt = new Optimizer<>(g.graph(), OptimizerSpec.authorsLra(100, 10_000), params, gr);
      long t0 = System.nanoTime();
      CompiledStep<TFloat32> step = CompiledStep.build(g, opt);
      System.out.printf(Locale.ROOT, "building the compiled step: %.1f s%n", (System.nanoTime() - t0) / 1e9);
      Random rnd = new Random(0);
      int[] ids = new int[batch * n];
      int[] mask = new int[batch * n];
      int[] labels = new int[batch];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 1 + rnd.nextInt(spec.vocabSize() - 2);
        mask[i] = i % n < n - n / 10 ? 1 : 0;
      }
      for (int i = 0; i < batch; i++) {
        labels[i] = rnd.nextInt(spec.classes());
      }
      Session s = g.session();
      double[] plain = new double[steps];
      double[] xla = new double[steps];
      for (int i = -3; i < steps; i++) {
        for (boolean compiled : new boolean[] {false, true}) {
          List<Tensor> fed = new ArrayList<>();
          fed.add(HostTensors.ints(new long[] {batch, n}, ids));
          fed.add(HostTensors.ints(new long[] {batch, n}, mask));
          fed.add(HostTensors.ints(new long[] {batch}, labels));
          fed.add(TInt64.vectorOf(1, i + 3));
          fed.add(TFloat32.scalarOf((float) spec.dropout()));
          Session.Runner r = s.runner().feed(g.inputs().get("input_ids"), fed.get(0))
              .feed(g.inputs().get("mask"), fed.get(1)).feed(g.labels(), fed.get(2))
              .feed(g.dropoutSeed(), fed.get(3)).feed(g.dropoutRate(), fed.get(4));
          if (compiled) {
            r.fetch(step.loss()).fetch(step.learningRate()).fetch(step.gradientNorm());
          } else {
            r.fetch(g.outputs().get("loss")).fetch(opt.learningRate()).fetch(opt.gradientNorm())
                .addTarget(opt.update());
          }
          long start = System.nanoTime();
          r.run().close();
          double ms = (System.nanoTime() - start) / 1e6;
          fed.forEach(Tensor::close);
          if (i < 0) {
            System.out.printf(Locale.ROOT, "warm-up %s: %.0f ms%n", compiled ? "compiled" : "plain", ms);
          } else if (compiled) {
            xla[i] = ms;
          } else {
            plain[i] = ms;
          }
        }
      }
      System.out.printf(Locale.ROOT, "plain step:    median %.1f ms, min %.1f ms (%d steps)%n", median(plain),
          Arrays.stream(plain).min().orElse(0), steps);
      System.out.printf(Locale.ROOT, "compiled step: median %.1f ms, min %.1f ms (%d steps)%n", median(xla),
          Arrays.stream(xla).min().orElse(0), steps);
    }
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }
}
