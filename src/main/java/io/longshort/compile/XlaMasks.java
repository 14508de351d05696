package io.longshort.compile;

import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Dropout masks built in functions that XLA must compile ({@link XlaFunction#mustCompile}): a
 * large site's hash, a chain of about 18 element-wise integer ops that TensorFlow runs as as many
 * passes over the tensor, becomes one fused loop with the same bits. The function takes only the
 * seed and the rate, so no gradient reaches it.
 */
public final class XlaMasks implements Dropout.CompiledMasks {
  public static final XlaMasks INSTANCE = new XlaMasks();

  private XlaMasks() {}

  @Override
  public <T extends TFloating> Operand<T> call(GraphScope<T> s, String name, Operand<TInt64> seed,
      Operand<TFloat32> rate, Dropout.MaskBody<T> body) {
    XlaFunction.Call call = XlaFunction.mustCompile(s, name, List.of(seed, rate),
        (scope, args) -> List.of(body.build(scope, args.get(0, TInt64.class), args.get(1, TFloat32.class))));
    return call.output(0, s.dtype());
  }
}
