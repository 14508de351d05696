// LayerNorm (float32, last axis) as an XLA compiled piece (io.longshort.compile.XlaPieces, as
// graph/core/LayerNorm builds it), forward and forward + backward, with the gradient's sums over rows
// (dweight, dbias) as XLA reduces ("reduce", the form before dwform), as (1, rows) x (rows, width)
// products ("dot", LayerNorm's form since), or left out ("nodw", zeros: what dx alone costs).
// Fastest of REPS-1 runs after a warm-up; random inputs.
//   java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*" \
//     bench/peers/tiles/LayerNormGrad.java 32x2048x64 25 reduce,dot,nodw,reduce,dot,nodw
//   The ListOps step's LayerNorms: 32x2048x64. See bench/peers/README.md.
import io.longshort.compile.XlaPieces;
import io.longshort.graph.core.*;
import org.tensorflow.*;
import org.tensorflow.op.*;
import org.tensorflow.op.core.*;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.*;
import org.tensorflow.ndarray.Shape;
import java.util.*;

public class LayerNormGrad {
  static Operand<TFloat32> mean(Ops tf, Operand<TFloat32> v) { return tf.math.mean(v, tf.constant(-1), Mean.keepDims(true)); }
  static Operand<TFloat32> fwd(Ops tf, Operand<TFloat32> x, Operand<TFloat32> w, Operand<TFloat32> b) {
    Operand<TFloat32> c = tf.math.sub(x, mean(tf, x));
    Operand<TFloat32> r = tf.math.rsqrt(tf.math.add(mean(tf, tf.math.square(c)), tf.constant(1e-5f)));
    return tf.nn.biasAdd(tf.math.mul(tf.math.mul(c, r), w), b);
  }
  static List<Operand<TFloat32>> grad(Ops tf, String mode, Operand<TFloat32> x, Operand<TFloat32> w, Operand<TFloat32> dy, int rank) {
    Operand<TFloat32> c = tf.math.sub(x, mean(tf, x));
    Operand<TFloat32> r = tf.math.rsqrt(tf.math.add(mean(tf, tf.math.square(c)), tf.constant(1e-5f)));
    Operand<TFloat32> normed = tf.math.mul(c, r);
    Operand<TFloat32> g = tf.math.mul(dy, w);
    Operand<TFloat32> dx = tf.math.mul(r, tf.math.sub(tf.math.sub(g, mean(tf, g)), tf.math.mul(normed, mean(tf, tf.math.mul(g, normed)))));
    int[] rows = java.util.stream.IntStream.range(0, rank - 1).toArray();
    Operand<TFloat32> dw, db;
    switch (mode) {
      case "nodw" -> { dw = tf.zerosLike(w); db = tf.zerosLike(w); }
      case "dot" -> {
        int dd = (int) dy.shape().get(rank - 1);
        Operand<TFloat32> ones = tf.reshape(tf.onesLike(tf.reduceSum(dy, tf.constant(new int[] {rank - 1}))), tf.constant(new int[] {1, -1}));
        dw = tf.reshape(tf.linalg.matMul(ones, tf.reshape(tf.math.mul(dy, normed), tf.constant(new int[] {-1, dd}))), tf.constant(new int[] {dd}));
        db = tf.reshape(tf.linalg.matMul(ones, tf.reshape(dy, tf.constant(new int[] {-1, dd}))), tf.constant(new int[] {dd}));
      }
      case "reduce" -> { dw = tf.reduceSum(tf.math.mul(dy, normed), tf.constant(rows)); db = tf.reduceSum(dy, tf.constant(rows)); }
      default -> throw new IllegalArgumentException("form '" + mode + "': reduce, dot or nodw");
    }
    return List.of(dx, dw, db);
  }
  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    long[] xs = Arrays.stream(args[0].split("x")).mapToLong(Long::parseLong).toArray();
    int reps = Integer.parseInt(args[1]);
    int d = (int) xs[xs.length - 1];
    Random rnd = new Random(1);
    TFloat32 tx = TFloat32.tensorOf(Shape.of(xs)), tdy = TFloat32.tensorOf(Shape.of(xs));
    tx.scalars().forEach(v -> v.setFloat((float) rnd.nextGaussian()));
    tdy.scalars().forEach(v -> v.setFloat((float) rnd.nextGaussian()));
    for (String mode : args[2].split(",")) {
      try (Graph gr = new Graph(); Session sess = new Session(gr)) {
        GraphScope<TFloat32> s = GraphScope.root(new Parameters<>(gr, TFloat32.class, 0));
        s = s.withCompiledPieces(XlaPieces.INSTANCE);
        Ops tf = s.tf();
        Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(xs)));
        Placeholder<TFloat32> dyp = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(xs)));
        Operand<TFloat32> w = tf.constant(new float[d]), b = tf.constant(new float[d]);
        w = tf.math.add(w, tf.constant(1f));
        final Operand<TFloat32> ww = w;
        Operand<TFloat32> y = (Operand<TFloat32>) s.compiledPieces().callWithGradient(s, "layer_norm", List.of(x, w, b),
            (fs, a) -> List.of(fwd(fs.tf(), (Operand<TFloat32>) a.get(0), (Operand<TFloat32>) a.get(1), (Operand<TFloat32>) a.get(2))),
            (fs, a) -> grad(fs.tf(), mode, (Operand<TFloat32>) a.get(0), (Operand<TFloat32>) a.get(1), (Operand<TFloat32>) a.get(3), xs.length)).expect(TFloat32.class);
        int[] all = java.util.stream.IntStream.range(0, xs.length).toArray();
        Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(y, dyp), tf.constant(all));
        Output<?>[] g = gr.addGradients(loss.asOutput(), new Output<?>[] {x.asOutput(), w.asOutput(), b.asOutput()});
        List<Operand<?>> fetch = new ArrayList<>();
        fetch.add(tf.reduceSum((Operand<TFloat32>) g[0], tf.constant(all)));
        fetch.add(g[1]); fetch.add(g[2]);
        double bt = 1e9, bf = 1e9;
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          try (Result r = sess.runner().feed(x, tx).feed(dyp, tdy).fetch(loss).run()) {}
          long t1 = System.nanoTime();
          var rn = sess.runner().feed(x, tx).feed(dyp, tdy); for (var f : fetch) rn.fetch(f);
          try (Result r = rn.run()) {}
          long t2 = System.nanoTime();
          if (i > 0) { bf = Math.min(bf, (t1 - t0) / 1e6); bt = Math.min(bt, (t2 - t1) / 1e6); }
        }
        System.out.printf("%s %s: fwd %.1f ms, fwd+bwd %.1f ms%n", mode, args[0], bf, bt);
      }
    }
  }
}
