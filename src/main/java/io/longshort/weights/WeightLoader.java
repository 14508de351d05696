package io.longshort.weights;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.family.TFloating;

/**
 * Sets a graph's parameters from a safetensors file holding a PyTorch state_dict: every parameter
 * named {@code graphPrefix + rest} is read from tensor {@code filePrefix + rest}, in PyTorch's
 * layout (Linear weights [out, in], which our graphs use as they are). Everything is checked before anything is
 * assigned, so a bad file leaves the variables as they were.
 */
public final class WeightLoader {
  /**
   * What a load did: the file's tensors that set parameters, those no parameter asked for, and the
   * dtype conversions made on the way (one line per converted tensor, e.g. {@code tensor
   * 'norm.weight': F16 converted to float32 (exact)}), which the caller shows as warnings.
   */
  public record Report(List<String> loaded, List<String> unused, List<String> conversions) {
    /** The conversions as warning lines, to print where the user sees them. */
    public List<String> warnings() {
      return conversions.stream().map(c -> "warning: " + c).toList();
    }
  }

  private WeightLoader() {}

  /** Loads every parameter of the graph, named in the file exactly as in the graph. */
  public static <T extends TFloating> Report load(Session session, Parameters<T> params,
      Safetensors file) throws IOException {
    return load(session, params, file, "", "");
  }

  /**
   * Loads the parameters whose names start with {@code graphPrefix} (e.g. "attention.") from the
   * tensors named {@code filePrefix} + the rest of the name (e.g. "model.transformer_0.mha.").
   */
  public static <T extends TFloating> Report load(Session session, Parameters<T> params,
      Safetensors file, String graphPrefix, String filePrefix) throws IOException {
    return load(session, params, file, graphPrefix,
        name -> filePrefix + name.substring(graphPrefix.length()));
  }

  /**
   * Loads every parameter whose name starts with {@code graphPrefix} from the tensor named
   * {@code fileNameOf(parameter name)}.
   */
  public static <T extends TFloating> Report load(Session session, Parameters<T> params,
      Safetensors file, String graphPrefix, UnaryOperator<String> fileNameOf) throws IOException {
    List<Parameter<T>> all = params.list().stream().filter(p -> p.name().startsWith(graphPrefix)).toList();
    if (all.isEmpty()) {
      throw new IllegalArgumentException("the graph has no parameters under '" + graphPrefix + "'");
    }
    java.util.function.Function<Parameter<T>, String> fileName = p -> fileNameOf.apply(p.name());
    for (Parameter<T> p : all) {
      file.info(fileName.apply(p)); // a missing tensor throws, naming the file's similar names
    }
    List<double[]> values = new ArrayList<>();
    List<String> conversions = new ArrayList<>();
    Dtype target = params.variableDtype() == org.tensorflow.types.TFloat64.class ? Dtype.F64 : Dtype.F32;
    for (Parameter<T> p : all) {
      TensorInfo t = file.info(fileName.apply(p));
      if (!t.dtype().isFloating()) {
        throw new SafetensorsException(file.file(), "tensor '" + t.name() + "' has dtype " + t.dtype()
            + "; parameters load from F16, BF16, F32 or F64");
      }
      if (!Arrays.equals(t.shape(), p.shape())) {
        throw new SafetensorsException(file.file(), "tensor '" + t.name() + "' has shape " + t.shapeString()
            + " but the graph's parameter '" + p.name() + "' has shape " + Arrays.toString(p.shape()));
      }
      if (t.dtype() != target) {
        conversions.add(conversion(t, target));
      }
      values.add(file.readDoubles(t.name()));
    }
    var runner = session.runner();
    List<Tensor> fed = new ArrayList<>();
    try {
      for (int i = 0; i < all.size(); i++) {
        Parameter<T> p = all.get(i);
        Parameters.Setter<T> setter = params.setter(p);
        Tensor t = HostTensors.of(params.variableDtype(), p.shape(), values.get(i));
        fed.add(t);
        runner.feed(setter.value(), t).addTarget(setter.assign());
      }
      if (!all.isEmpty()) {
        runner.run().close();
      }
    } finally {
      fed.forEach(Tensor::close);
    }
    Set<String> used = new LinkedHashSet<>();
    all.forEach(p -> used.add(fileName.apply(p)));
    List<String> unused = file.names().stream().filter(n -> !used.contains(n)).toList();
    return new Report(List.copyOf(used), unused, List.copyOf(conversions));
  }

  /** Widening keeps every value; narrowing F64 to F32 rounds. */
  private static String conversion(TensorInfo t, Dtype target) {
    boolean exact = t.dtype().bytes() < target.bytes();
    return "tensor '" + t.name() + "': " + t.dtype() + " converted to " + (target == Dtype.F64 ? "float64" : "float32")
        + (exact ? " (exact)" : " (rounded to nearest)");
  }
}
