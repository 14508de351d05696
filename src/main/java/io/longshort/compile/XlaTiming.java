package io.longshort.compile;

import io.longshort.graph.Attention;
import io.longshort.graph.GraphScope;
import io.longshort.graph.HostTensors;
import io.longshort.graph.Parameters;
import io.longshort.spec.AttentionSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Times one forward pass of a long-short layer, plain and XLA-compiled, with shared weights, in
 * one graph and one session (float32, the authors' LRA setting by default).
 *
 * <pre>
 * java -cp target/classes:target/lib/* io.longshort.compile.XlaTiming [N] [runs]
 * </pre>
 */
public final class XlaTiming {
  private XlaTiming() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int batch = 1;
    AttentionSpec spec = AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(8).setRank(32).build();
    System.out.printf(Locale.ROOT, "TensorFlow %s, %d CPU(s); %s D=%d H=%d w=%d r=%d, B=%d N=%d,"
        + " float32%n", TensorFlow.version(), Runtime.getRuntime().availableProcessors(),
        spec.kind().jsonName(), spec.width(), spec.heads(), spec.window(), spec.rank(), batch, n);

    try (Graph g = new Graph()) {
      Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
      GraphScope<TFloat32> root = GraphScope.root(params);
      var x = root.tf().withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(batch, n, spec.width())));
      var mask = root.tf().withName("mask").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(batch, n)));
      Operand<TFloat32> plain = Attention.apply(root.child("attention"), spec, x, mask, null);
      Operand<TFloat32> compiled = XlaAttention.apply(root.child("attention"), spec, x, mask, null);
      System.out.println("TPU check of the compiled layer: "
          + TpuCompatibility.check(g, List.of(compiled)));

      Random rnd = new Random(0);
      double[] xv = new double[batch * n * spec.width()];
      Arrays.setAll(xv, i -> rnd.nextGaussian());
      double[] mv = new double[batch * n];
      Arrays.setAll(mv, i -> i < n - n / 10 ? 1 : 0); // the last 10% is padding
      try (Session s = new Session(g);
          TFloat32 xt = (TFloat32) HostTensors.of(TFloat32.class, new long[] {batch, n, spec.width()}, xv);
          TFloat32 mt = (TFloat32) HostTensors.of(TFloat32.class, new long[] {batch, n}, mv)) {
        s.initialize();
        long t0 = System.nanoTime();
        double[] yc = run(s, x, mask, xt, mt, compiled);
        double firstCompiled = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        double[] yp = run(s, x, mask, xt, mt, plain);
        double firstPlain = (System.nanoTime() - t0) / 1e6;
        double maxDiff = 0;
        for (int i = 0; i < yp.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(yp[i] - yc[i]));
        }
        for (int i = 0; i < 3; i++) {
          run(s, x, mask, xt, mt, plain);
          run(s, x, mask, xt, mt, compiled);
        }
        double[] tp = new double[runs];
        double[] tc = new double[runs];
        for (int i = 0; i < runs; i++) { // interleaved, so both see the same machine load
          t0 = System.nanoTime();
          run(s, x, mask, xt, mt, plain);
          tp[i] = (System.nanoTime() - t0) / 1e6;
          t0 = System.nanoTime();
          run(s, x, mask, xt, mt, compiled);
          tc[i] = (System.nanoTime() - t0) / 1e6;
        }
        System.out.printf(Locale.ROOT, "first run: plain %.1f ms, XLA %.1f ms (includes compiling)%n",
            firstPlain, firstCompiled);
        System.out.printf(Locale.ROOT, "plain: median %.2f ms, min %.2f ms over %d runs%n",
            median(tp), min(tp), runs);
        System.out.printf(Locale.ROOT, "XLA:   median %.2f ms, min %.2f ms over %d runs%n",
            median(tc), min(tc), runs);
        System.out.printf(Locale.ROOT, "speed-up (median): %.2fx; max |plain - XLA| = %.3g%n",
            median(tp) / median(tc), maxDiff);
      }
    }
  }

  private static double[] run(Session s, Operand<TFloat32> x, Operand<TFloat32> mask, TFloat32 xt,
      TFloat32 mt, Operand<TFloat32> y) {
    try (Result r = s.runner().feed(x, xt).feed(mask, mt).fetch(y).run()) {
      return HostTensors.toDoubles(r.get(0));
    }
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }
}
