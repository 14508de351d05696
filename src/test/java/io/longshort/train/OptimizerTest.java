package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;

/**
 * Our graph optimizers against a plain-Java reference of PyTorch's update rules on a least-squares
 * problem (y = x W^T + b): 20 steps with warm-up, linear decay, clipping and weight decay.
 */
class OptimizerTest {
  static final int M = 6;
  static final int IN = 4;
  static final int OUT = 3;
  static final int STEPS = 20;

  /** One graph: loss = mean((x W^T + b - y)^2) over M rows and OUT columns, fed x and y. */
  private static final class Problem implements AutoCloseable {
    final Graph graph = new Graph();
    final Parameters<TFloat64> params = new Parameters<>(graph, TFloat64.class, 5);
    final Placeholder<TFloat64> x;
    final Placeholder<TFloat64> y;
    final Optimizer<TFloat64> optimizer;
    final Session session;

    Problem(OptimizerSpec spec, int rows) {
      GraphScope<TFloat64> root = GraphScope.root(params);
      Ops tf = root.tf();
      x = tf.withName("x").placeholder(TFloat64.class, Placeholder.shape(Shape.of(rows, IN)));
      y = tf.withName("y").placeholder(TFloat64.class, Placeholder.shape(Shape.of(rows, OUT)));
      Operand<TFloat64> pred = Linear.create(root.child("fc"), IN, OUT).apply(x);
      Operand<TFloat64> loss = tf.math.mean(tf.math.square(tf.math.sub(pred, y)), tf.constant(new int[] {0, 1}));
      List<Parameter<TFloat64>> list = params.list();
      Output<?>[] grads = graph.addGradients(loss.asOutput(),
          list.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
      List<Operand<TFloat64>> g = new ArrayList<>();
      for (Output<?> o : grads) {
        @SuppressWarnings("unchecked")
        Operand<TFloat64> t = (Operand<TFloat64>) o;
        g.add(t);
      }
      optimizer = new Optimizer<>(graph, spec, list, g);
      session = new Session(graph);
      session.initialize();
    }

    void run(org.tensorflow.op.Op target, double[] xs, double[] ys, int rows) {
      try (var xt = HostTensors.of(TFloat64.class, new long[] {rows, IN}, xs);
          var yt = HostTensors.of(TFloat64.class, new long[] {rows, OUT}, ys)) {
        session.runner().feed(x, xt).feed(y, yt).addTarget(target).run().close();
      }
    }

    double[] value(String name) {
      try (var r = session.runner().fetch(params.get(name).value()).run()) {
        return HostTensors.toDoubles(r.get(0));
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  @Test
  void adamwMatchesReference() {
    check(new OptimizerSpec(OptimizerSpec.Type.ADAMW, 0.05, 0.9, 0.999, 1e-6, 0.01, 0, OptimizerSpec.Schedule.LINEAR,
        3, STEPS, 1.0, 1));
  }

  @Test
  void adamWithL2AndCosineMatchesReference() {
    check(new OptimizerSpec(OptimizerSpec.Type.ADAM, 0.03, 0.8, 0.99, 1e-8, 0.02, 0, OptimizerSpec.Schedule.COSINE,
        2, STEPS, 0.0, 1));
  }

  @Test
  void sgdWithMomentumMatchesReference() {
    check(new OptimizerSpec(OptimizerSpec.Type.SGD, 0.02, 0, 0, 1e-8, 0.001, 0.9, OptimizerSpec.Schedule.CONSTANT,
        0, STEPS, 0.5, 1));
  }

  private static void check(OptimizerSpec spec) {
    Random rnd = new Random(11);
    double[] xs = gaussian(rnd, M * IN, 1.0);
    double[] ys = gaussian(rnd, M * OUT, 3.0);
    try (Problem p = new Problem(spec, M)) {
      double[] w = p.value("fc.weight");
      double[] b = p.value("fc.bias");
      Reference ref = new Reference(spec, w, b);
      for (int s = 0; s < STEPS; s++) {
        p.run(p.optimizer.update(), xs, ys, M);
        ref.step(xs, ys);
      }
      assertClose(ref.w, p.value("fc.weight"), spec.type() + " weight");
      assertClose(ref.b, p.value("fc.bias"), spec.type() + " bias");
      try (var r = p.session.runner().fetch(p.optimizer.step()).run()) {
        assertEquals(STEPS, ((org.tensorflow.types.TInt64) r.get(0)).getLong());
      }
    }
  }

  /** Two micro-batches of 3 rows accumulated = one step on the 6 rows. */
  @Test
  void accumulationEqualsTheFullBatch() {
    Random rnd = new Random(3);
    double[] xs = gaussian(rnd, M * IN, 1.0);
    double[] ys = gaussian(rnd, M * OUT, 1.0);
    OptimizerSpec full = new OptimizerSpec(OptimizerSpec.Type.ADAMW, 0.05, 0.9, 0.999, 1e-6, 0.01, 0,
        OptimizerSpec.Schedule.CONSTANT, 0, 10, 0.5, 1);
    OptimizerSpec accumulated = new OptimizerSpec(OptimizerSpec.Type.ADAMW, 0.05, 0.9, 0.999, 1e-6, 0.01, 0,
        OptimizerSpec.Schedule.CONSTANT, 0, 10, 0.5, 2);
    try (Problem a = new Problem(full, M); Problem b = new Problem(accumulated, M / 2)) {
      for (int s = 0; s < 5; s++) {
        a.run(a.optimizer.update(), xs, ys, M);
        for (int half = 0; half < 2; half++) {
          b.run(b.optimizer.accumulate(), Arrays.copyOfRange(xs, half * 3 * IN, (half + 1) * 3 * IN),
              Arrays.copyOfRange(ys, half * 3 * OUT, (half + 1) * 3 * OUT), M / 2);
        }
        b.session.runner().addTarget(b.optimizer.update()).run().close();
      }
      assertClose(a.value("fc.weight"), b.value("fc.weight"), "accumulated weight");
    }
  }

  private static void assertClose(double[] expected, double[] actual, String what) {
    double err = 0;
    for (int i = 0; i < expected.length; i++) {
      err = Math.max(err, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(err <= 1e-6, what + ": max abs error " + err);
  }

  private static double[] gaussian(Random rnd, int n, double scale) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian() * scale;
    }
    return v;
  }

  /** PyTorch's update rules, step by step, on plain arrays with the analytic gradient. */
  private static final class Reference {
    final OptimizerSpec spec;
    final double[] w;
    final double[] b;
    final double[] mw;
    final double[] vw;
    final double[] mb;
    final double[] vb;
    int t;

    Reference(OptimizerSpec spec, double[] w, double[] b) {
      this.spec = spec;
      this.w = w.clone();
      this.b = b.clone();
      mw = new double[w.length];
      vw = new double[w.length];
      mb = new double[b.length];
      vb = new double[b.length];
    }

    void step(double[] xs, double[] ys) {
      double[] gw = new double[w.length];
      double[] gb = new double[b.length];
      for (int r = 0; r < M; r++) {
        for (int o = 0; o < OUT; o++) {
          double pred = b[o];
          for (int i = 0; i < IN; i++) {
            pred += xs[r * IN + i] * w[o * IN + i];
          }
          double d = 2 * (pred - ys[r * OUT + o]) / (M * OUT);
          gb[o] += d;
          for (int i = 0; i < IN; i++) {
            gw[o * IN + i] += d * xs[r * IN + i];
          }
        }
      }
      double norm = 0;
      for (double g : gw) {
        norm += g * g;
      }
      for (double g : gb) {
        norm += g * g;
      }
      norm = Math.sqrt(norm);
      double clip = spec.clipNorm() > 0 ? Math.min(1, spec.clipNorm() / (norm + 1e-6)) : 1;
      double lr = spec.learningRateAt(t);
      t++;
      update(w, gw, mw, vw, clip, lr);
      update(b, gb, mb, vb, clip, lr);
    }

    void update(double[] p, double[] g, double[] m, double[] v, double clip, double lr) {
      for (int i = 0; i < p.length; i++) {
        double grad = g[i] * clip;
        if (spec.type() != OptimizerSpec.Type.ADAMW) {
          grad += spec.weightDecay() * p[i];
        }
        if (spec.type() == OptimizerSpec.Type.SGD) {
          m[i] = spec.momentum() * m[i] + grad;
          p[i] -= lr * m[i];
          continue;
        }
        if (spec.type() == OptimizerSpec.Type.ADAMW) {
          p[i] *= 1 - lr * spec.weightDecay();
        }
        m[i] = spec.beta1() * m[i] + (1 - spec.beta1()) * grad;
        v[i] = spec.beta2() * v[i] + (1 - spec.beta2()) * grad * grad;
        double mHat = m[i] / (1 - Math.pow(spec.beta1(), t));
        double vHat = v[i] / (1 - Math.pow(spec.beta2(), t));
        p[i] -= lr * mHat / (Math.sqrt(vHat) + spec.epsilon());
      }
    }
  }
}
