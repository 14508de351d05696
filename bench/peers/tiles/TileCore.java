// The long-short window tiles' core, softmax(q k^T + bias) v, forward and forward + backward, as
// TensorFlow's plain ops ("plain": Einsum, Softmax and their C++ gradients) and as one XLA compiled
// piece with a hand-written gradient ("xla": io.longshort.compile.XlaPieces, the mechanism of the
// LayerNorm/GELU pieces). Fastest of REPS-1 runs after a warm-up; random inputs, no padding.
//   java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*" \
//     bench/peers/tiles/TileCore.java B H Q W L K REPS plain,xla,plain,xla
//   ListOps (32 2 128 16 34 32), the layer case (1 4 32 128 320 64). See bench/peers/README.md.
import io.longshort.compile.XlaPieces;
import io.longshort.graph.core.*;
import io.longshort.graph.attention.AttentionOps;
import org.tensorflow.*;
import org.tensorflow.op.*;
import org.tensorflow.op.core.*;
import org.tensorflow.types.*;
import org.tensorflow.ndarray.Shape;
import java.util.*;

public class TileCore {
  static Operand<TFloat32> plain(Ops tf, Operand<TFloat32> q, Operand<TFloat32> k, Operand<TFloat32> v, Operand<TFloat32> b) {
    return AttentionOps.matmul(tf, tf.nn.softmax(tf.math.add(AttentionOps.matmul(tf, q, k, true), b)), v, false);
  }
  static List<Operand<TFloat32>> grad(Ops tf, Operand<TFloat32> q, Operand<TFloat32> keys, Operand<TFloat32> values, Operand<TFloat32> keyBias, Operand<TFloat32> dy) {
    Operand<TFloat32> p = tf.nn.softmax(tf.math.add(AttentionOps.matmul(tf, q, keys, true), keyBias));
    Operand<TFloat32> o = AttentionOps.matmul(tf, p, values, false);
    Operand<TFloat32> rowDot = tf.reduceSum(tf.math.mul(dy, o), tf.constant(-1), ReduceSum.keepDims(true));
    Operand<TFloat32> ds = tf.math.mul(p, tf.math.sub(AttentionOps.matmul(tf, dy, values, true), rowDot));
    Operand<TFloat32> dq = AttentionOps.matmul(tf, ds, keys, false);
    Operand<TFloat32> dk = AttentionOps.einsum(tf, "abcij,abcik->abcjk", ds, q);
    Operand<TFloat32> dv = AttentionOps.einsum(tf, "abcij,abcik->abcjk", p, dy);
    return List.of(dq, dk, dv, tf.zerosLike(keyBias));
  }
  @SuppressWarnings("unchecked")
  public static void main(String[] args) throws Exception {
    int b = Integer.parseInt(args[0]), h = Integer.parseInt(args[1]), segs = Integer.parseInt(args[2]), w = Integer.parseInt(args[3]);
    int l = Integer.parseInt(args[4]), k = Integer.parseInt(args[5]), reps = Integer.parseInt(args[6]);
    Random rnd = new Random(1);
    long[] qs = {b, h, segs, w, k}, ks = {b, h, segs, l, k}, bs = {b, 1, segs, 1, l};
    TFloat32 tq = TFloat32.tensorOf(Shape.of(qs)), tk = TFloat32.tensorOf(Shape.of(ks)), tv = TFloat32.tensorOf(Shape.of(ks)), tb = TFloat32.tensorOf(Shape.of(bs));
    tq.scalars().forEach(x -> x.setFloat((float) rnd.nextGaussian()));
    tk.scalars().forEach(x -> x.setFloat((float) rnd.nextGaussian()));
    tv.scalars().forEach(x -> x.setFloat((float) rnd.nextGaussian()));
    for (String mode : args[7].split(",")) {
      try (Graph g = new Graph(); Session sess = new Session(g)) {
        Parameters<TFloat32> params = new Parameters<>(g, TFloat32.class, 0);
        GraphScope<TFloat32> s = GraphScope.root(params);
        if (mode.equals("xla")) s = s.withCompiledPieces(XlaPieces.withMinElements(1));
        Ops tf = s.tf();
        Placeholder<TFloat32> q = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(qs))), kk = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(ks))),
            v = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(ks))), bb = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(bs)));
        Operand<TFloat32> out;
        if (mode.equals("xla")) {
          out = (Operand<TFloat32>) s.compiledPieces().callWithGradient(s, "tile", List.of(q, kk, v, bb),
              (fs, a) -> List.of(plain(fs.tf(), (Operand<TFloat32>) a.get(0), (Operand<TFloat32>) a.get(1), (Operand<TFloat32>) a.get(2), (Operand<TFloat32>) a.get(3))),
              (fs, a) -> grad(fs.tf(), (Operand<TFloat32>) a.get(0), (Operand<TFloat32>) a.get(1), (Operand<TFloat32>) a.get(2), (Operand<TFloat32>) a.get(3), (Operand<TFloat32>) a.get(4))).expect(TFloat32.class);
        } else out = plain(tf, q, kk, v, bb);
        Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(out, out), tf.constant(new int[]{0,1,2,3,4}));
        Output<?>[] gr = g.addGradients(loss.asOutput(), new Output<?>[]{q.asOutput(), kk.asOutput(), v.asOutput()});
        Operand<TFloat32> fsum = tf.reduceSum(out, tf.constant(new int[]{0,1,2,3,4}));
        List<Operand<?>> gs = new ArrayList<>();
        for (Output<?> o : gr) gs.add(tf.reduceSum((Operand<TFloat32>) o, tf.constant(new int[]{0,1,2,3,4})));
        double bf = 1e9, bt = 1e9;
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          try (Result r = sess.runner().feed(q, tq).feed(kk, tk).feed(v, tv).feed(bb, tb).fetch(fsum).run()) {}
          long t1 = System.nanoTime();
          var rn = sess.runner().feed(q, tq).feed(kk, tk).feed(v, tv).feed(bb, tb); for (var x : gs) rn.fetch(x);
          try (Result r = rn.run()) {}
          long t2 = System.nanoTime();
          if (i > 0) { bf = Math.min(bf, (t1 - t0) / 1e6); bt = Math.min(bt, (t2 - t1) / 1e6); }
        }
        System.out.printf("%s (%d,%d,%d,%d|%d,%d): fwd %.1f ms, fwd+bwd %.1f ms%n", mode, b, h, segs, w, l, k, bf, bt);
      }
    }
  }
}
