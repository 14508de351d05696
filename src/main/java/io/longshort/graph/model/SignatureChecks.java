package io.longshort.graph.model;

import io.longshort.graph.core.InputChecks;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;

/**
 * The model inputs of a served signature, checked in the graph ({@link InputChecks}) so that TF
 * Serving refuses a bad request with INVALID_ARGUMENT naming the input: {@code input_ids*} in
 * 0..V-1 (the vocabulary), {@code mask*} 0 (padding) or 1 (token), where the model would
 * otherwise read a mask of 2 as a doubled token and -1 as a negative one.
 *
 * <p>The outputs are gated (identities that depend on the checks), not the inputs: the forward
 * pass is already built, and under {@code export --xla} it is a must-compile function, which the
 * checks (host work) stay outside of. The generate signature checks its own inputs before its loop
 * ({@code GenerateChecks}).
 */
public final class SignatureChecks {
  private SignatureChecks() {}

  /**
   * {@code outputs} (same keys and order) as identities named by their keys in {@code tf}'s
   * scope, each available only once the checks of {@code inputs} (under that scope's
   * {@link InputChecks#SCOPE}) passed.
   *
   * @param vocabSize V, or 0 to leave ids unchecked
   */
  public static Map<String, Operand<?>> gated(Ops tf, Map<String, Operand<?>> inputs, Map<String, Operand<?>> outputs,
      int vocabSize) {
    InputChecks c = new InputChecks(tf);
    Ops checks = c.tf();
    for (Map.Entry<String, Operand<?>> in : inputs.entrySet()) {
      String name = in.getKey();
      if (in.getValue().type() != TInt32.class) {
        continue;
      }
      Operand<TInt32> x = in.getValue().asOutput().expect(TInt32.class);
      if (name.startsWith("mask")) {
        c.require(c.within(x, checks.constant(0), checks.constant(1)),
            name + ": every value must be 0 (padding) or 1 (token); got", x);
      } else if (name.startsWith("input_ids") && vocabSize > 0) {
        c.require(c.within(x, checks.constant(0), checks.constant(vocabSize - 1)),
            name + ": ids must be in 0.." + (vocabSize - 1) + " (the vocabulary); got", x);
      }
    }
    Map<String, Operand<?>> gated = new LinkedHashMap<>();
    outputs.forEach((k, v) -> gated.put(k, c.gate(v, k)));
    return gated;
  }
}
