package io.longshort.graph.model;

import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.GraphScope;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Precision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;
import org.tensorflow.types.family.TType;

/**
 * A model a user composes in Java from the DSL ({@code GraphScope}, {@code Attention},
 * {@code TransformerBlock}, {@code Linear}, their own ops): named inputs and a forward function to
 * logits. It trains with the training loop (plain, accumulated, XLA-compiled, bf16), checkpoints
 * and exports like the shipped models: the forward function is called once for the graph and,
 * for compiled steps, again in the step's function body, with the same parameter names.
 *
 * <p>A training graph adds {@code labels} int32 of the given shape (one class per logits row:
 * (B) for (B, C) logits, (B, N) for (B, N, C)), the mean softmax cross-entropy {@code loss} and
 * per row {@code losses} and {@code hits}, and dropout driven per step by {@code dropout_seed}
 * and {@code dropout_rate}. Signatures: serving_default (logits, probabilities) and classify
 * (scores, classes).
 */
public final class ComposedModel<T extends TFloating> extends GraphModel<T>
    implements TrainableModel<T>, ServableModel<T> {
  /** Example inputs of {@code batch} rows for the SavedModel's warm-up request and example file. */
  @FunctionalInterface
  public interface Examples {
    Map<String, io.longshort.io.HostArray> make(int batch, long seed);
  }

  /** The model's forward pass: inputs by name (in the scope's graph) and its dropout, to logits. */
  @FunctionalInterface
  public interface Forward<T extends TFloating> {
    Operand<T> apply(GraphScope<T> scope, Map<String, Operand<?>> inputs, Dropout dropout);
  }

  private final Parameters<T> params;
  private final Forward<T> forward;
  private final double dropout;
  private final Examples examples;
  private final Map<String, Placeholder<?>> inputs = new LinkedHashMap<>();
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  private Placeholder<TInt32> labels;
  private Operand<TInt64> dropoutSeed;
  private Operand<TFloat32> dropoutRate;

  private ComposedModel(Builder<T> b) {
    try {
      params = Parameters.mixed(graph, b.dtype, b.variableDtype == null ? b.dtype : b.variableDtype, b.seed);
      forward = b.forward;
      dropout = b.dropout;
      examples = b.examples;
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      for (var in : b.inputs.entrySet()) {
        inputs.put(in.getKey(), tf.withName(in.getKey()).placeholder(in.getValue().dtype(),
            Placeholder.shape(in.getValue().shape())));
      }
      Dropout d = Dropout.none();
      if (b.labelShape != null) {
        dropoutSeed = tf.withName("dropout_seed").placeholderWithDefault(tf.constant(new long[] {0, 0}), Shape.of(2));
        dropoutRate = tf.withName("dropout_rate").placeholderWithDefault(tf.constant(0f), Shape.scalar());
        d = Dropout.training(dropoutSeed, dropoutRate);
      }
      // training: dropout, LayerNorm and GELU as compiled pieces when the builder was given them
      Operand<T> logits = forward.apply(b.labelShape != null && b.pieces != null ? root.withCompiledPieces(b.pieces) : root,
          new LinkedHashMap<>(inputs), d);
      outputs.put("logits", tf.withName("logits").identity(logits));
      if (b.labelShape != null) {
        labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(b.labelShape));
        ModelGraph.lossOps(tf, Precision.widen(tf, logits), labels, outputs);
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** A builder of a model computing in {@code dtype}. */
  public static <T extends TFloating> Builder<T> builder(Class<T> dtype) {
    return new Builder<>(dtype);
  }

  /**
   * Required: at least one input ({@link #addInput}) and the forward function. Optional: the
   * seed of the initial weights (0), the variables' dtype (float32 master weights under bfloat16
   * compute), a training graph ({@link #optLabels}) and its dropout rate (0).
   */
  public static final class Builder<T extends TFloating> {
    private record Input(Class<? extends TType> dtype, Shape shape) {}

    private final Class<T> dtype;
    private Class<? extends TFloating> variableDtype;
    private final Map<String, Input> inputs = new LinkedHashMap<>();
    private Forward<T> forward;
    private long seed;
    private Shape labelShape;
    private double dropout;
    private Examples examples;
    private CompiledPieces pieces;

    private Builder(Class<T> dtype) {
      this.dtype = Objects.requireNonNull(dtype, "dtype");
    }

    /** An input placeholder; -1 in {@code shape} for a size given at run time (e.g. the batch). */
    public Builder<T> addInput(String name, Class<? extends TType> dtype, Shape shape) {
      if (name == null || !name.matches("[A-Za-z][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("ComposedModel: input name (" + name + ") must match [A-Za-z][A-Za-z0-9_]*");
      }
      if (inputs.containsKey(name)) {
        throw new IllegalArgumentException("ComposedModel: input '" + name + "' is added twice");
      }
      inputs.put(name, new Input(Objects.requireNonNull(dtype, "dtype"), Objects.requireNonNull(shape, "shape")));
      return this;
    }

    public Builder<T> setForward(Forward<T> forward) {
      this.forward = forward;
      return this;
    }

    public Builder<T> optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder<T> optVariableDtype(Class<? extends TFloating> variableDtype) {
      this.variableDtype = variableDtype;
      return this;
    }

    /** A training graph whose int32 labels have {@code shape}: one class per row of the logits. */
    public Builder<T> optLabels(Shape shape) {
      this.labelShape = shape;
      return this;
    }

    /** The dropout rate the training loop feeds (training graphs). */
    public Builder<T> optDropout(double rate) {
      this.dropout = rate;
      return this;
    }

    /** Example inputs that mean something for this model (default: normal floats, zero ints). */
    /**
     * How a training graph builds dropout, LayerNorm and GELU: as compiled pieces (e.g.
     * {@code io.longshort.compile.XlaPieces.INSTANCE}), or as plain ops (null, the default).
     */
    public Builder<T> optCompiledPieces(CompiledPieces pieces) {
      this.pieces = pieces;
      return this;
    }

    public Builder<T> optExamples(Examples examples) {
      this.examples = examples;
      return this;
    }

    public ComposedModel<T> build() {
      if (inputs.isEmpty()) {
        throw new IllegalStateException("ComposedModel: at least one input is required (addInput)");
      }
      if (forward == null) {
        throw new IllegalStateException("ComposedModel: forward is required (setForward)");
      }
      if (!(dropout >= 0 && dropout < 1)) {
        throw new IllegalArgumentException("ComposedModel: dropout (" + dropout + ") must be in [0, 1)");
      }
      if (inputs.containsKey("labels") || inputs.containsKey("dropout_seed") || inputs.containsKey("dropout_rate")) {
        throw new IllegalArgumentException("ComposedModel: inputs " + inputs.keySet() + " may not be named labels,"
            + " dropout_seed or dropout_rate (the training graph's own)");
      }
      return new ComposedModel<>(this);
    }
  }



  @Override
  public Parameters<T> parameters() {
    return params;
  }

  @Override
  public Map<String, Placeholder<?>> inputs() {
    return inputs;
  }

  @Override
  public Map<String, Operand<?>> outputs() {
    return outputs;
  }

  @Override
  public Operand<TInt32> labels() {
    return labels;
  }

  @Override
  public Operand<TInt64> dropoutSeed() {
    return dropoutSeed;
  }

  @Override
  public Operand<TFloat32> dropoutRate() {
    return dropoutRate;
  }

  @Override
  public double trainingDropout() {
    return dropout;
  }

  @Override
  public Map<String, io.longshort.io.HostArray> exampleInputs(int batch, long seed) {
    return examples != null ? examples.make(batch, seed) : ServableModel.randomInputs(this, batch, seed);
  }

  /** The logits output, in the compute dtype. */
  @SuppressWarnings("unchecked")
  public Operand<T> logits() {
    return (Operand<T>) outputs.get("logits");
  }

  @Override
  public synchronized Map<String, Signature> signatures() {
    return ServingSignatures.ofLogits(graph, logits(), new LinkedHashMap<>(inputs), true);
  }

  /** The forward function again in {@code scope} (a function body), and its loss. */
  @Override
  @SuppressWarnings("unchecked")
  public Operand<?> trainingLoss(GraphScope<T> scope, List<Operand<?>> in, Operand<TInt32> labels) {
    if (this.labels == null) {
      throw new IllegalStateException("not a training graph (optLabels)");
    }
    if (in.size() != inputs.size() + 2) {
      throw new IllegalArgumentException("expected " + (inputs.size() + 2) + " inputs (model inputs, dropout seed"
          + " and rate), got " + in.size());
    }
    Map<String, Operand<?>> named = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(inputs.keySet());
    for (int i = 0; i < names.size(); i++) {
      named.put(names.get(i), in.get(i));
    }
    Dropout d = Dropout.training((Operand<TInt64>) in.get(names.size()), (Operand<TFloat32>) in.get(names.size() + 1));
    Ops tf = scope.tf();
    return ModelGraph.lossOps(tf, Precision.widen(tf, forward.apply(scope, named, d)), labels, new LinkedHashMap<>());
  }

}
