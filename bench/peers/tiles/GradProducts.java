// The long-short layer's joint projection (M x IN) x (OUT x IN)^T and its two gradient products,
// each in the forms TensorFlow offers, timed alone (fastest of REPS-1 runs after a warm-up): is the
// weight gradient (dy^T x, transpose_a, as TF's MatMul gradient builds it) slow by itself?
//   java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*" \
//     bench/peers/tiles/GradProducts.java M IN OUT REPS
//   The layer case's joint projection: 4096 256 1024 12. See bench/peers/README.md.
import org.tensorflow.*;
import org.tensorflow.op.*;
import org.tensorflow.op.core.*;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.*;
import org.tensorflow.ndarray.Shape;
import java.util.*;

public class GradProducts {
  public static void main(String[] args) throws Exception {
    int m = Integer.parseInt(args[0]), in = Integer.parseInt(args[1]), out = Integer.parseInt(args[2]);
    int reps = Integer.parseInt(args[3]);
    Random rnd = new Random(1);
    TFloat32 tx = TFloat32.tensorOf(Shape.of(m, in)), tw = TFloat32.tensorOf(Shape.of(out, in));
    TFloat32 tdy = TFloat32.tensorOf(Shape.of(m, out));
    for (TFloat32 t : List.of(tx, tw, tdy)) {
      t.scalars().forEach(v -> v.setFloat((float) rnd.nextGaussian()));
    }
    double flop = 2.0 * m * in * out;
    // forms: forward x W^T; dW = dy^T x (TF's gradient form), x^T dy (the transposed result),
    // transpose(dy) then a plain product; dx = dy W; dW and dx in one run (as the step runs them)
    for (String form : new String[] {"fwd", "dW_ta", "dWt_ta", "dW_transposed", "dx", "dW+dx"}) {
      try (Graph g = new Graph(); Session sess = new Session(g)) {
        Ops tf = Ops.create(g);
        Placeholder<TFloat32> x = tf.placeholder(TFloat32.class), w = tf.placeholder(TFloat32.class),
            dy = tf.placeholder(TFloat32.class);
        List<Operand<TFloat32>> ys = new ArrayList<>();
        switch (form) {
          case "fwd" -> ys.add(tf.linalg.matMul(x, w, MatMul.transposeB(true)));
          case "dW_ta" -> ys.add(tf.linalg.matMul(dy, x, MatMul.transposeA(true)));
          case "dWt_ta" -> ys.add(tf.linalg.matMul(x, dy, MatMul.transposeA(true)));
          case "dW_transposed" -> ys.add(tf.linalg.matMul(tf.linalg.transpose(dy, tf.constant(new int[] {1, 0})), x));
          case "dx" -> ys.add(tf.linalg.matMul(dy, w));
          default -> {
            ys.add(tf.linalg.matMul(dy, x, MatMul.transposeA(true)));
            ys.add(tf.linalg.matMul(dy, w));
          }
        }
        List<Operand<TFloat32>> sums = new ArrayList<>();
        for (Operand<TFloat32> y : ys) {
          sums.add(tf.reduceSum(y, tf.constant(new int[] {0, 1})));
        }
        double best = 1e9;
        for (int i = 0; i < reps; i++) {
          Session.Runner r = sess.runner().feed(x, tx).feed(w, tw).feed(dy, tdy);
          for (Operand<TFloat32> s : sums) {
            r.fetch(s);
          }
          long t0 = System.nanoTime();
          try (Result res = r.run()) {
          }
          if (i > 0) {
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
          }
        }
        System.out.printf("M %d IN %d OUT %d %s: %.1f ms (%.1f GF/s)%n", m, in, out, form, best,
            flop * ys.size() / best / 1e6);
      }
    }
  }
}
