// The long-short window tiles' first product, (BH, Q/C, C*W, K) x (BH, Q/C, C*W + EXTRA, K)^T, for
// C segments per tile, in the forms TensorFlow offers (Einsum on 4-D and 3-D operands, BatchMatMulV3
// on 4-D and 3-D), and the softmax or exp after it; fastest of REPS-1 runs after a warm-up.
//   java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*" \
//     bench/peers/tiles/TileProducts.java BH Q W EXTRA K REPS C...
//   ListOps: 64 128 16 18 32 8 1 4 8. See bench/peers/README.md.
import org.tensorflow.*;
import org.tensorflow.op.*;
import org.tensorflow.op.core.*;
import org.tensorflow.types.*;
import org.tensorflow.ndarray.Shape;
import java.util.*;

public class TileProducts {
  public static void main(String[] args) throws Exception {
    int bh = Integer.parseInt(args[0]), segs = Integer.parseInt(args[1]), w = Integer.parseInt(args[2]);
    int extra = Integer.parseInt(args[3]), k = Integer.parseInt(args[4]);
    int reps = Integer.parseInt(args[5]);
    for (int ai = 6; ai < args.length; ai++) {
      int c = Integer.parseInt(args[ai]);
      int tiles = segs / c, qrows = c * w, keys = c * w + extra;
      Random rnd = new Random(1);
      TFloat32 tq = TFloat32.tensorOf(Shape.of(bh, tiles, qrows, k)), tk = TFloat32.tensorOf(Shape.of(bh, tiles, keys, k));
      tq.scalars().forEach(x -> x.setFloat((float) rnd.nextGaussian()));
      tk.scalars().forEach(x -> x.setFloat((float) rnd.nextGaussian()));
      for (String form : new String[]{"einsum4", "einsum3", "bmm", "bmm3", "softmax", "exp"}) {
        try (Graph g = new Graph(); Session sess = new Session(g)) {
          Ops tf = Ops.create(g);
          Placeholder<TFloat32> qv = tf.placeholder(TFloat32.class), kv = tf.placeholder(TFloat32.class);
          Operand<TFloat32> y;
          switch (form) {
            case "einsum4": y = tf.linalg.einsum(List.of(qv, kv), "abij,abkj->abik"); break;
            case "einsum3": y = tf.linalg.einsum(List.of(tf.reshape(qv, tf.constant(new long[]{-1, qrows, k})),
                tf.reshape(kv, tf.constant(new long[]{-1, keys, k}))), "aij,akj->aik"); break;
            case "bmm": y = tf.train.batchMatMul(qv, kv, TFloat32.class, org.tensorflow.op.train.BatchMatMul.adjY(true)); break;
            case "bmm3": y = tf.train.batchMatMul(tf.reshape(qv, tf.constant(new long[]{-1, qrows, k})),
                tf.reshape(kv, tf.constant(new long[]{-1, keys, k})), TFloat32.class, org.tensorflow.op.train.BatchMatMul.adjY(true)); break;
            case "softmax": { Operand<TFloat32> l = tf.linalg.einsum(List.of(qv, kv), "abij,abkj->abik"); y = tf.nn.softmax(tf.identity(l)); break; }
            default: { Operand<TFloat32> l = tf.linalg.einsum(List.of(qv, kv), "abij,abkj->abik"); y = tf.math.exp(l); break; }
          }
          Operand<TFloat32> sum = tf.reduceSum(y, tf.constant(new int[]{0, 1}));
          double best = 1e9;
          for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            try (Result r = sess.runner().feed(qv, tq).feed(kv, tk).fetch(sum).run()) {}
            if (i > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e6);
          }
          double flop = 2.0 * bh * tiles * (double) qrows * keys * k;
          System.out.printf("C=%d %dx%dx%d batch %d %s: %.1f ms (%.1f GF/s)%n", c, qrows, keys, k, bh * tiles, form, best, flop / best / 1e6);
        }
      }
    }
  }
}
