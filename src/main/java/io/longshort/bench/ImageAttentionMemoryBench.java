package io.longshort.bench;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.vision.ImageAttentionGraph;
import io.longshort.graph.core.Parameter;
import io.longshort.spec.ImageAttentionSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * One configuration of the 2-D attention memory benchmark (scripts/bench_image_attention_memory.sh
 * runs one process per configuration, so each peak is its own): builds one 2-D attention layer
 * (long_short or full) on an X x X patch grid, runs forward and backward (gradients of sum(y^2)
 * with respect to the input and every parameter) twice, and prints the process's peak resident
 * memory (VmHWM from /proc/self/status) before and after, in KiB, as one tab-separated line:
 * kind, side, patches, baseline_kib, peak_kib, peak_minus_baseline_kib, seconds.
 *
 * <p>Args: kind side [width heads window rank globalTokens].
 */
public final class ImageAttentionMemoryBench {
  private ImageAttentionMemoryBench() {}

  public static void main(String[] args) throws IOException {
    String kind = args[0];
    int side = Integer.parseInt(args[1]);
    int width = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int heads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int window = args.length > 4 ? Integer.parseInt(args[4]) : 7;
    int rank = args.length > 5 ? Integer.parseInt(args[5]) : 8;
    int globals = args.length > 6 ? Integer.parseInt(args[6]) : 1;
    ImageAttentionSpec spec = kind.equals("long_short")
        ? ImageAttentionSpec.longShort().setWidth(width).setHeads(heads).setWindow(window).setRank(rank)
            .optGlobalTokens(globals).build()
        : ImageAttentionSpec.full().setWidth(width).setHeads(heads).optGlobalTokens(globals).build();
    int rows = globals + side * side;
    try (ImageAttentionGraph<TFloat32> g = ImageAttentionGraph.build(spec, TFloat32.class, 1, side, side, 0)) {
      Ops tf = Ops.create(g.graph()).withSubScope("bench");
      Operand<TFloat32> loss = tf.sum(tf.math.square(g.y()), tf.constant(new int[] {0, 1, 2}));
      List<Output<?>> wrt = new ArrayList<>();
      wrt.add(g.x().asOutput());
      for (Parameter<TFloat32> p : g.parameters().list()) {
        wrt.add(p.value().asOutput());
      }
      Output<?>[] grads = g.graph().addGradients(loss.asOutput(), wrt.toArray(Output<?>[]::new));
      double[] x = new double[rows * width];
      java.util.Random rnd = new java.util.Random(0);
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextGaussian();
      }
      long baseline = PeakMemory.selfPeak() / 1024;
      long start = System.nanoTime();
      for (int rep = 0; rep < 2; rep++) {
        try (Tensor xt = HostTensors.of(TFloat32.class, new long[] {1, rows, width}, x)) {
          var runner = g.session().runner().feed(g.x(), xt).fetch(loss);
          for (Output<?> grad : grads) {
            runner.fetch(grad);
          }
          try (var r = runner.run()) {
            // results closed
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9 / 2;
      long peak = PeakMemory.selfPeak() / 1024;
      System.out.printf(Locale.ROOT, "%s\t%d\t%d\t%d\t%d\t%d\t%.3f%n", kind, side, side * side, baseline, peak,
          peak - baseline, seconds);
    }
  }
}
