package io.longshort.graph.model;

import io.longshort.io.HostArray;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/** A built model the exporters can serve: its signatures, an example request and its spec. */
public interface ServableModel<T extends TFloating> extends BuiltModel<T> {
  /** A serving signature: its inputs and outputs by name (sorted by name in the SavedModel). */
  record Signature(Map<String, Operand<?>> inputs, Map<String, Operand<?>> outputs) {}

  /**
   * The serving signatures by key (serving_default first); may add ops (softmax, argmax) to the
   * graph the first time.
   */
  Map<String, Signature> signatures();

  /**
   * Inputs of an example request of {@code batch} rows (the SavedModel's warm-up record and
   * example file), by input name. By default: standard normal floats and zero ints, every -1 of
   * an input's shape taken as the batch; models whose inputs mean more (token ids, masks) say so.
   */
  default Map<String, HostArray> exampleInputs(int batch, long seed) {
    return randomInputs(this, batch, seed);
  }

  /** Standard normal floats and zero ints for every input of {@code model}, -1 taken as {@code batch}. */
  static Map<String, HostArray> randomInputs(BuiltModel<?> model, int batch, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    Map<String, HostArray> out = new java.util.LinkedHashMap<>();
    for (var in : model.inputs().entrySet()) {
      long[] shape = in.getValue().shape().asArray();
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shape[i] < 0 ? batch : shape[i];
      }
      int n = Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b));
      if (in.getValue().type() == TInt32.class) {
        out.put(in.getKey(), HostArray.ints(shape, new int[n]));
      } else if (in.getValue().type() == TFloat32.class) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) rnd.nextGaussian();
        }
        out.put(in.getKey(), HostArray.floats(shape, v));
      } else {
        throw new UnsupportedOperationException("input '" + in.getKey() + "' is " + in.getValue().type().getSimpleName()
            + "; example inputs are made for int32 and float32 inputs only (override exampleInputs)");
      }
    }
    return out;
  }

  /** The signature the example request and the SavedModel's warm-up record call. */
  default String exampleSignature() {
    return ServingSignatures.DEFAULT;
  }

  /** The model's spec as JSON for the files an export writes beside the SavedModel, or null. */
  default String specJson() {
    return null;
  }

  /**
   * The vocabulary the served graph checks token-id inputs against (ids in 0..vocabSize-1); 0
   * when the model reads no token ids.
   */
  default int vocabSize() {
    return 0;
  }
}
