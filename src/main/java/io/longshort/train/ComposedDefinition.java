package io.longshort.train;

import io.longshort.data.BatchKind;
import io.longshort.data.Dataset;
import io.longshort.data.TextFileExamples;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.ComposedModel;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.TrainableModel;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * {@link Model#composed}: a model composed in Java, built as a {@link ComposedModel} for a batch
 * of B rows at training (labels (B), dropout) and for any batch at serving. Its inputs are given
 * per row; the framework adds the batch dimension.
 */
public final class ComposedDefinition<T extends TFloating> implements Model<T> {
  private final Class<T> dtype;
  private final Map<String, Input> inputs;
  private final ComposedModel.Forward<T> forward;
  private final int classes;
  private final double dropout;
  private final ComposedModel.Examples examples;

  private record Input(Class<? extends TType> dtype, long[] dims) {}

  private ComposedDefinition(Builder<T> b) {
    dtype = b.dtype;
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(b.inputs)); // feeding order
    forward = b.forward;
    classes = b.classes;
    dropout = b.dropout;
    examples = b.examples;
  }

  static <T extends TFloating> Builder<T> builder(Class<T> dtype) {
    return new Builder<>(dtype);
  }

  /**
   * Required: at least one input ({@link #addInput}), the forward function and the classes.
   * Optional: the training dropout rate (0) and example inputs for the SavedModel's warm-up
   * request (default: normal floats, zero ints).
   */
  public static final class Builder<T extends TFloating> {
    private final Class<T> dtype;
    private final Map<String, Input> inputs = new LinkedHashMap<>();
    private ComposedModel.Forward<T> forward;
    private int classes;
    private double dropout;
    private ComposedModel.Examples examples;

    private Builder(Class<T> dtype) {
      this.dtype = Objects.requireNonNull(dtype, "dtype");
    }

    /**
     * An input of {@code dtype} with these per-row dimensions (e.g. N for token ids); the batch
     * comes first, added by the framework. Token datasets feed {@code input_ids} and {@code mask}
     * ({@code input_ids_0} ... {@code mask_1} for pairs).
     */
    public Builder<T> addInput(String name, Class<? extends TType> dtype, long... dims) {
      for (long d : dims) {
        if (d < 1) {
          throw new IllegalArgumentException("Model.composed: input '" + name + "' dimension (" + d
              + ") must be >= 1; the batch is added by the framework");
        }
      }
      if (inputs.containsKey(name)) {
        throw new IllegalArgumentException("Model.composed: input '" + name + "' is added twice");
      }
      inputs.put(name, new Input(Objects.requireNonNull(dtype, "dtype"), dims.clone()));
      return this;
    }

    /** The forward pass: inputs by name and the dropout of this graph, to logits (B, C). */
    public Builder<T> setForward(ComposedModel.Forward<T> forward) {
      this.forward = forward;
      return this;
    }

    /** C, the classes of the logits (B, C). */
    public Builder<T> setClasses(int classes) {
      this.classes = classes;
      return this;
    }

    /** The dropout rate of training graphs. */
    public Builder<T> optDropout(double rate) {
      this.dropout = rate;
      return this;
    }

    /** Example inputs that mean something for this model (the SavedModel's warm-up request). */
    public Builder<T> optExamples(ComposedModel.Examples examples) {
      this.examples = examples;
      return this;
    }

    public ComposedDefinition<T> build() {
      if (inputs.isEmpty()) {
        throw new IllegalStateException("Model.composed: at least one input is required (addInput)");
      }
      if (forward == null) {
        throw new IllegalStateException("Model.composed: forward is required (setForward)");
      }
      if (classes < 2) {
        throw new IllegalArgumentException("Model.composed: classes (" + classes + ") must be >= 2 (setClasses)");
      }
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException("Model.composed: dropout (" + dropout + ") must be in [0, 1)");
      }
      return new ComposedDefinition<>(this);
    }
  }

  @Override
  public Class<T> dtype() {
    return dtype;
  }

  @Override
  public String family() {
    return "composed";
  }

  @Override
  public boolean languageModel() {
    return false;
  }

  /** N of {@code input_ids} (or {@code input_ids_0}), else 0. */
  @Override
  public int defaultLength() {
    Input ids = inputs.containsKey("input_ids") ? inputs.get("input_ids") : inputs.get("input_ids_0");
    return ids == null || ids.dims().length == 0 ? 0 : Math.toIntExact(ids.dims()[0]);
  }

  @Override
  public Dataset.Reading reading(int length) {
    BatchKind kind = inputs.containsKey("input_ids_0") ? BatchKind.RETRIEVAL : BatchKind.CLASSIFICATION;
    return new Dataset.Reading(kind, kind == BatchKind.RETRIEVAL ? TextFileExamples.Kind.PAIR
        : TextFileExamples.Kind.TEXT, length, null);
  }

  @Override
  public TrainableModel<?> buildTraining(Build b) {
    if (b.recompute() != null) {
      throw new IllegalArgumentException("recompute: a composed model's forward is the user's; it rebuilds no blocks");
    }
    ComposedModel<T> model = graph(b, true);
    long[] logits = model.logits().shape().asArray();
    if (logits.length != 2 || logits[1] != classes) {
      model.close();
      throw new IllegalArgumentException("Model.composed: the forward's logits have shape "
          + Arrays.toString(logits) + "; (B, " + classes + ") is what setClasses(" + classes + ") says");
    }
    return model;
  }

  @Override
  public ServableModel<?> buildServing(Build b) {
    return graph(b, false);
  }

  private ComposedModel<T> graph(Build b, boolean training) {
    if (b.dtype() != dtype) {
      throw new IllegalArgumentException("a composed model computes in its own dtype (" + dtype.getSimpleName()
          + "; asked for " + b.dtype().getSimpleName() + "): compose it with that dtype");
    }
    ComposedModel.Builder<T> cb = ComposedModel.builder(dtype).optSeed(b.seed()).optVariableDtype(b.variableDtype())
        .setForward(forward).optExamples(examples);
    inputs.forEach((name, in) -> {
      long[] shape = new long[in.dims().length + 1];
      shape[0] = b.batch(); // (B, ...) or (-1, ...) at serving
      System.arraycopy(in.dims(), 0, shape, 1, in.dims().length);
      cb.addInput(name, in.dtype(), Shape.of(shape));
    });
    if (training) {
      cb.optLabels(Shape.of(b.batch())).optDropout(dropout).optCompiledPieces(b.pieces());
    }
    return cb.build();
  }

  /** Inputs, parameters (names and shapes) and classes: another architecture is another run. */
  @Override
  public String describe(TrainableModel<?> built) {
    String ins = inputs.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue().dtype().getSimpleName()
        + Arrays.toString(e.getValue().dims())).collect(Collectors.joining(", "));
    String params = built.parameters().list().stream().map(p -> ((Parameter<?>) p).name()
        + Arrays.toString(((Parameter<?>) p).shape())).collect(Collectors.joining(", "));
    return "composed{inputs: " + ins + "; classes: " + classes + "; dropout: " + dropout + "; parameters: " + params
        + "}";
  }
}
