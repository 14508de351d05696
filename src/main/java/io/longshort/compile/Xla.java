package io.longshort.compile;

import io.longshort.graph.core.Execution;
import io.longshort.graph.core.GraphScope;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/** Executions backed by XLA. */
public final class Xla {
  private Xla() {}

  /**
   * The forward pass as one function that XLA must compile ({@link XlaFunction#mustCompile}): the
   * first run compiles it for the device, and fails loudly if any op cannot be compiled.
   */
  public static final Execution MUST_COMPILE = new Execution() {
    @Override
    public <T extends TFloating> Operand<T> apply(GraphScope<T> scope, String name, List<Operand<?>> inputs,
        Forward<T> forward) {
      XlaFunction.Call call = XlaFunction.mustCompile(scope, name, inputs, (body, args) -> {
        List<Operand<?>> in = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
          in.add(args.get(i));
        }
        return List.of(forward.build(body, in));
      });
      return call.output(0, scope.dtype());
    }
  };
}
