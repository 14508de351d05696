package io.longshort.graph.core;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Checks of a served signature's inputs inside the graph, so that TF Serving itself (which runs
 * our graph with no check of its own) refuses a bad request with INVALID_ARGUMENT and our words:
 * Assert ops whose message names the input, and identities of the inputs that depend on them, so
 * nothing downstream runs (or allocates) before every check passed.
 *
 * <p>The checks live under the name scope {@link #SCOPE}, outside any must-compile function: an
 * Assert and its string message are host work, run before the computation as feeds are, and
 * {@code TpuCompatibility} leaves that scope out of the computation it checks.
 */
public final class InputChecks {
  /** The name scope of every check. */
  public static final String SCOPE = "input_checks";

  private final Ops root;
  private final Ops tf;
  private final List<Op> checks = new ArrayList<>();

  /** Checks added under {@code tf}'s scope + {@link #SCOPE}. */
  public InputChecks(Ops tf) {
    this.root = tf;
    this.tf = tf.withSubScope(SCOPE);
  }

  /** The ops to build the checks with (under {@link #SCOPE}). */
  public Ops tf() {
    return tf;
  }

  /**
   * Fails the run with {@code assertion failed: [message] [data...]} unless every element of
   * {@code ok} is true.
   */
  public void require(Operand<TBool> ok, String message, Operand<?>... data) {
    List<Operand<?>> parts = new ArrayList<>();
    Operand<TString> text = tf.constant(message);
    parts.add(text);
    parts.addAll(List.of(data));
    Operand<TBool> all = tf.reduceAll(Shapes.reshape(tf, ok, -1), tf.constant(0));
    checks.add(tf.assertThat(all, parts));
  }

  /** {@code lo <= x <= hi}, elementwise. */
  public Operand<TBool> within(Operand<TInt32> x, Operand<TInt32> lo, Operand<TInt32> hi) {
    return tf.math.logicalAnd(tf.math.greaterEqual(x, lo), tf.math.lessEqual(x, hi));
  }

  /**
   * {@code x}, available only once every check added so far has passed; named {@code name} in the
   * scope of the Ops these checks were made with (beside, not inside, {@link #SCOPE}), so that
   * others can find it: e.g. {@code serving_default_xla/logits} beside the call it gates.
   */
  public <U extends TType> Operand<U> gate(Operand<U> x, String name) {
    return root.withControlDependencies(checks).withName(name).identity(x);
  }

  /** Whether op {@code name} is a check (or a gate) of some scope's inputs. */
  public static boolean isCheck(String name) {
    for (String part : name.split("/")) {
      if (part.equals(SCOPE) || part.matches(SCOPE + "_\\d+")) {
        return true;
      }
    }
    return false;
  }
}
