package io.longshort.compile;

import io.longshort.graph.attention.Attention;
import io.longshort.graph.core.GraphScope;
import io.longshort.spec.AttentionSpec;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TFloating;

/**
 * {@link Attention#apply} as one XLA must-compile function: same arguments, same parameters
 * (PyTorch names under {@code scope}), same result, computed by one XLA executable.
 *
 * <pre>{@code
 * Operand<TFloat32> y = XlaAttention.apply(root.child("attention"), spec, x, mask, cls);
 * }</pre>
 */
public final class XlaAttention {
  private XlaAttention() {}

  /** As {@link Attention#apply}; the function is named after the scope ("attention_xla"). */
  public static <T extends TFloating> Operand<T> apply(GraphScope<T> scope, AttentionSpec spec,
      Operand<T> x, Operand<T> mask, Operand<T> clsToken) {
    return call(scope, spec, x, mask, clsToken, true).output(0, scope.dtype());
  }

  /**
   * The call behind {@link #apply}; {@code mustCompile = false} gives the same function without
   * XLA, for comparisons.
   */
  public static <T extends TFloating> XlaFunction.Call call(GraphScope<T> scope, AttentionSpec spec,
      Operand<T> x, Operand<T> mask, Operand<T> clsToken, boolean mustCompile) {
    List<Operand<?>> inputs = new ArrayList<>();
    inputs.add(x);
    int maskIndex = mask == null ? -1 : add(inputs, mask);
    int clsIndex = clsToken == null ? -1 : add(inputs, clsToken);
    Class<T> dtype = scope.dtype();
    String name = (scope.name().isEmpty() ? "attention" : scope.name().replace('.', '_')) + "_xla";
    return XlaFunction.build(scope, name, inputs, (s, args) -> {
      Output<T> m = maskIndex < 0 ? null : args.get(maskIndex, dtype);
      Output<T> c = clsIndex < 0 ? null : args.get(clsIndex, dtype);
      return List.of(Attention.apply(s, spec, args.get(0, dtype), m, c));
    }, mustCompile);
  }

  private static int add(List<Operand<?>> inputs, Operand<?> o) {
    inputs.add(o);
    return inputs.size() - 1;
  }
}
