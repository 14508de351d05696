package io.longshort.graph.model;

import io.longshort.graph.core.Activation;
import io.longshort.graph.core.ClassificationHead;
import io.longshort.graph.core.CompiledCalls;
import io.longshort.graph.core.Recomputation;
import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.Dropout;
import io.longshort.graph.core.Execution;
import io.longshort.graph.core.FanOut;
import io.longshort.graph.core.GraphScope;
import io.longshort.io.HostArray;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.core.Linear;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.core.Precision;
import io.longshort.graph.core.Shapes;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * A whole model in its own graph with named inputs and outputs and an initialised session.
 *
 * <p>Inputs: {@code input_ids} (B, N) int32 and {@code mask} (B, N) int32 (1 token, 0 padding);
 * retrieval models take {@code input_ids_0}, {@code mask_0}, {@code input_ids_1}, {@code mask_1};
 * language models take {@code input_ids} only. Outputs: {@code logits} (B, classes), or (B, N, V) for
 * language models. Parameter names are the authors' state_dict names ({@code model.*},
 * {@code seq_classifer.*}), so their checkpoints load as they are.
 *
 * <p>Letters: B batch, N tokens, D width, F hidden width, V vocabulary.
 */
public final class ModelGraph<T extends TFloating> extends GraphModel<T>
    implements TrainableModel<T>, GeneratingModel<T>, TokenServable<T> {
  private final ModelSpec spec;
  private final int length;
  private final Parameters<T> params;
  private final Map<String, Placeholder<TInt32>> inputs = new LinkedHashMap<>();
  /** logits (T); loss, losses, hits of training graphs (T, or float32 when T is 16-bit). */
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();

  private final boolean training;
  private final CompiledPieces pieces;
  /** Rebuilds each block's activations in the backward pass, or null ({@link Builder#optRecompute}). */
  private final Recomputation recomputation;
  private Operand<TInt64> dropoutSeed;
  private Operand<org.tensorflow.types.TFloat32> dropoutRate;
  private Placeholder<TInt32> labels;
  private int maxNewTokensCap;

  private ModelGraph(ModelSpec spec, Class<T> dtype, Class<? extends TFloating> variableDtype, long batch,
      int length, long seed, boolean training, Execution execution, CompiledPieces pieces, Recomputation recomputation) {
    if (length < 1 || length > spec.maxTokens()) {
      throw new IllegalArgumentException("length (" + length + ") must be in 1.." + spec.maxTokens()
          + " for this model (maxLength " + spec.maxLength()
          + (spec.pooling() == Pooling.CLS ? ", one position taken by the CLS id" : "") + ")");
    }
    this.spec = spec;
    this.length = length;
    this.training = training;
    this.pieces = pieces;
    this.recomputation = recomputation;
    try {
      params = Parameters.mixed(graph, dtype, variableDtype, seed);
      GraphScope<T> root = GraphScope.root(params);
      Ops tf = root.tf();
      for (String name : inputNames(spec)) {
        inputs.put(name, tf.withName(name).placeholder(TInt32.class, Placeholder.shape(Shape.of(batch, length))));
      }
      if (training) {
        // fed per step by the training loop, so dropout masks are reproducible from the run's seed
        dropoutSeed = tf.withName("dropout_seed").placeholderWithDefault(tf.constant(new long[] {0, 0}), Shape.of(2));
        dropoutRate = tf.withName("dropout_rate").placeholderWithDefault(tf.constant(0f), Shape.scalar());
      }
      List<Operand<?>> args = new ArrayList<>(inputs.values());
      if (training) {
        args.add(dropoutSeed);
        args.add(dropoutRate);
      }
      Operand<T> logits = execution.apply(root, "forward", args, (scope, in) -> forward(scope, in, training));
      outputs.put("logits", tf.withName("logits").identity(logits));
      if (training) {
        addLoss(tf, batch);
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** Whether each block's activations are rebuilt in the backward pass ({@link Builder#optRecompute}). */
  public boolean recompute() {
    return recomputation != null;
  }

  /** The int32 (B, N) inputs a model of this spec takes, in order. */
  public static List<String> inputNames(ModelSpec spec) {
    return switch (spec.task()) {
      case CLASSIFIER -> List.of("input_ids", "mask");
      case RETRIEVAL -> List.of("input_ids_0", "mask_0", "input_ids_1", "mask_1");
      case LANGUAGE_MODEL -> List.of("input_ids");
    };
  }

  /**
   * Inputs (in {@link #inputNames} order, then the dropout seed and rate when training) to logits:
   * embeddings, encoder, pooling and head, everything that owns parameters.
   */
  @SuppressWarnings("unchecked")
  private Operand<T> forward(GraphScope<T> scope, List<Operand<?>> in, boolean training) {
    // training: dropout, LayerNorm and GELU as compiled pieces when the builder was given them
    GraphScope<T> root = training && pieces != null ? scope.withCompiledPieces(pieces) : scope;
    Ops tf = root.tf();
    Dropout dropout = training
        ? Dropout.forRate(spec.dropout(), (Operand<TInt64>) in.get(in.size() - 2),
            (Operand<org.tensorflow.types.TFloat32>) in.get(in.size() - 1))
        : Dropout.none();
    Encoder<T> encoder = new Encoder<>(root.child("model"), spec, dropout,
        training ? recomputation : null);
    return switch (spec.task()) {
      case CLASSIFIER -> {
        Operand<T> pooled = encode(root, encoder, (Operand<TInt32>) in.get(0), (Operand<TInt32>) in.get(1));
        yield head(root, spec.width()).apply(pooled);
      }
      case RETRIEVAL -> {
        // both towers run the same encoder (shared weights), as one batch of 2B: each weight then
        // has the uses of one pass, so its gradient is a sum of two at most (two passes would make
        // it four, and an AddN of three or more is not repeatable bit for bit; see FanOut)
        Operand<TInt32> ids = Shapes.concat(tf, 0, List.of((Operand<TInt32>) in.get(0), (Operand<TInt32>) in.get(2)));
        Operand<TInt32> masks = Shapes.concat(tf, 0, List.of((Operand<TInt32>) in.get(1), (Operand<TInt32>) in.get(3)));
        // (2B, D) -> 2 x (B, D)
        List<Output<T>> towers = tf.split(tf.constant(0), encode(root, encoder, ids, masks), 2L).output();
        // each tower goes into the pair three times: through FanOut, for the same reason
        List<Operand<T>> x0 = FanOut.uses(tf, towers.get(0), 3);
        List<Operand<T>> x1 = FanOut.uses(tf, towers.get(1), 3);
        // (B, 4D)
        Operand<T> pair = Shapes.concat(tf, 1, List.of(x0.get(0), x1.get(0), tf.math.mul(x0.get(1), x1.get(1)),
            tf.math.sub(x0.get(2), x1.get(2))));
        yield head(root, 4 * spec.width()).apply(pair);
      }
      case LANGUAGE_MODEL -> {
        Operand<TInt32> ids = (Operand<TInt32>) in.get(0);
        // (B, N, D) -> (B, N, V)
        Operand<T> h = encoder.apply(ids, tf.dtypes.cast(tf.onesLike(ids), root.dtype()));
        yield spec.tiedEmbeddings()
            ? Shapes.reshape(tf, tf.linalg.matMul(Shapes.reshape(tf, h, -1, spec.width()),
                encoder.embeddings().table(), org.tensorflow.op.linalg.MatMul.transposeB(true)),
                -1, length, spec.vocabSize())
            : Linear.create(root.child("lm_head"), spec.width(), spec.vocabSize()).apply(h);
      }
    };
  }

  /** A builder of a model of {@code spec}: {@code ModelGraph.builder(spec).setDtype(..).setBatch(..).setLength(..)}. */
  public static Builder builder(ModelSpec spec) {
    return new Builder(spec);
  }

  /**
   * Builds a {@link ModelGraph}. Required: {@link #setDtype} (the compute dtype), {@link #setBatch}
   * (B, or -1 for any batch size), {@link #setLength} (N, tokens per input, without the CLS id that
   * cls pooling adds). Optional: the weights' seed (0), the variables' dtype (the compute dtype; a
   * wider one gives float32 master weights under bfloat16 compute), a training graph (dropout
   * driven by {@code dropout_seed} (2) int64 and {@code dropout_rate} float32, both defaulting to
   * no dropout for evaluation; {@code labels} (B) int32, or {@code targets} (B, N) for language
   * models; outputs {@code loss}, {@code losses} and {@code hits}), and how the forward pass runs
   * (e.g. {@code Xla.MUST_COMPILE}).
   */
  public static final class Builder {
    private final ModelSpec spec;
    private Class<? extends TFloating> dtype;
    private Class<? extends TFloating> variableDtype;
    private Long batch;
    private Integer length;
    private long seed;
    private boolean training;
    private Execution execution = Execution.PLAIN;
    private CompiledPieces pieces;
    private Integer maxNewTokensCap;
    private Recomputation recomputation;

    private Builder(ModelSpec spec) {
      this.spec = java.util.Objects.requireNonNull(spec, "spec");
    }

    public Builder setDtype(Class<? extends TFloating> dtype) {
      this.dtype = dtype;
      return this;
    }

    public Builder setBatch(long batch) {
      this.batch = batch;
      return this;
    }

    public Builder setLength(int length) {
      this.length = length;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder optVariableDtype(Class<? extends TFloating> variableDtype) {
      this.variableDtype = variableDtype;
      return this;
    }

    public Builder optTraining(boolean training) {
      this.training = training;
      return this;
    }

    public Builder optExecution(Execution execution) {
      this.execution = java.util.Objects.requireNonNull(execution, "execution");
      return this;
    }

    /**
     * How a plain training graph builds dropout, LayerNorm and GELU: as compiled pieces from
     * {@code pieces}' size on (e.g. {@code io.longshort.compile.XlaPieces.INSTANCE}: XLA, 2^20
     * elements, which the trainers give), or as plain ops (null, the default: graph knows no
     * compiler). A graph compiled as a whole ({@link #optExecution}) and an inference graph build
     * plain ops either way.
     */
    public Builder optCompiledPieces(CompiledPieces pieces) {
      this.pieces = pieces;
      return this;
    }

    /**
     * Language models: the largest {@code max_new_tokens} the generate signature accepts (checked
     * in the graph, so a server refuses a request for more); 1..maxLength, default maxLength (no
     * row holds more new tokens than its capacity, and (B, max_new_tokens) outputs stay that size).
     */
    public Builder optMaxNewTokensCap(int cap) {
      if (cap < 1 || cap > spec.maxLength()) {
        throw new IllegalArgumentException("max new tokens cap (" + cap + ") must be in 1.." + spec.maxLength()
            + " (the model's maxLength, its capacity)");
      }
      this.maxNewTokensCap = cap;
      return this;
    }

    /**
     * Gradient checkpointing (the authors' {@code --attention_grad_checkpointing}): a training
     * graph keeps only each block's input, and the backward pass rebuilds the block's activations
     * from it, all but the last block's, which the backward pass reads first
     * ({@link Recomputation#applyToBlock}; {@code recomputation}:
     * {@code io.longshort.compile.Recompute.INSTANCE}; null: off). {@code Recompute.HALVES} rebuilds
     * each block as two segments, its attention half and its MLP half ({@link
     * Recomputation.Segments#HALVES}): a lower peak for more time.
     * The same gradients as without, in less memory and more time.
     * Needs a plain training graph in one dtype: not with {@link #optExecution} other than plain
     * (XLA), nor with a variable dtype other than the compute dtype (mixed precision).
     */
    public Builder optRecompute(Recomputation recomputation) {
      this.recomputation = recomputation;
      return this;
    }

    /** The graph, in the dtype given to {@link #setDtype} (the caller names it: {@code ModelGraph<TFloat32>}). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public <T extends TFloating> ModelGraph<T> build() {
      if (dtype == null || batch == null || length == null) {
        throw new IllegalStateException("ModelGraph.Builder: " + (dtype == null ? "dtype" : batch == null ? "batch"
            : "length") + " is required (setDtype, setBatch, setLength)");
      }
      if (batch == 0 || batch < -1) {
        throw new IllegalArgumentException("ModelGraph.Builder: batch (" + batch + ") must be >= 1, or -1 for any");
      }
      if (recomputation != null) {
        if (!training) {
          throw new IllegalArgumentException("ModelGraph.Builder: recompute is for training graphs (optTraining(true))");
        }
        if (execution != Execution.PLAIN) {
          throw new IllegalArgumentException("ModelGraph.Builder: recompute does not combine with an XLA-compiled"
              + " forward (optExecution " + execution + "); build the plain graph");
        }
        if (variableDtype != null && variableDtype != dtype) {
          throw new IllegalArgumentException("ModelGraph.Builder: recompute does not combine with mixed precision"
              + " (variables " + variableDtype.getSimpleName() + ", compute " + dtype.getSimpleName() + ")");
        }
      }
      ModelGraph g = new ModelGraph(spec, dtype, variableDtype == null ? dtype : variableDtype, batch, length, seed,
          training, execution, pieces, recomputation);
      g.maxNewTokensCap = maxNewTokensCap != null ? maxNewTokensCap : spec.maxLength();
      return g;
    }
  }

  /**
   * Softmax cross-entropy through one-hot labels (the sparse op has no registered gradient). A
   * bfloat16/float16 graph casts its logits to float32 first: the loss, its log-sum-exp and the
   * first gradient are float32.
   */
  private void addLoss(Ops tf, long batch) {
    boolean lm = spec.task() == io.longshort.spec.Task.LANGUAGE_MODEL;
    labels = tf.withName(lm ? "targets" : "labels").placeholder(TInt32.class,
        Placeholder.shape(lm ? Shape.of(batch, length) : Shape.of(batch)));
    lossOps(tf, Precision.widen(tf, logits()), labels, outputs);
  }

  /**
   * Adds "loss", "losses" and "hits" (the outputs of a training graph, {@link Builder#optTraining}) to {@code out} and returns the
   * mean loss, in the dtype of {@code logits} (already widened to float32 for narrow graphs).
   */
  public static <L extends TFloating> Operand<L> lossOps(Ops tf, Operand<L> logits, Operand<TInt32> labels,
      Map<String, Operand<?>> out) {
    Class<L> type = logits.type();
    int classes = Math.toIntExact(logits.shape().get(logits.shape().numDimensions() - 1));
    // (rows, classes): one row per example, or per position for language models
    Operand<L> rows = Shapes.reshape(tf, logits, -1, classes);
    Operand<TInt32> flatLabels = Shapes.reshape(tf, labels, -1);
    Operand<L> oneHot = tf.oneHot(flatLabels, tf.constant(classes), tf.constant(type, 1.0),
        tf.constant(type, 0.0));
    // -sum(one_hot * log_softmax): TF 2.18's C++ gradient of SoftmaxCrossEntropyWithLogits builds a
    // float32 constant into float64 graphs, so float64 training could not take gradients
    Operand<L> perRow = tf.math.neg(tf.sum(tf.math.mul(oneHot, tf.nn.logSoftmax(rows)), tf.constant(1)));
    Operand<L> loss = tf.withName("loss").identity(tf.math.mean(perRow, tf.constant(new int[] {0})));
    out.put("loss", loss);
    out.put("losses", tf.withName("losses").identity(perRow));
    Operand<TInt32> predicted = tf.dtypes.cast(tf.math.argMax(rows, tf.constant(1)), TInt32.class);
    out.put("hits", tf.withName("hits").identity(tf.dtypes.cast(tf.math.equal(predicted, flatLabels), type)));
    return loss;
  }

  /** The logits output, (B, classes) or (B, N, V), in the compute dtype. */
  @SuppressWarnings("unchecked")
  public Operand<T> logits() {
    return (Operand<T>) outputs.get("logits");
  }

  /**
   * The mean loss of a training graph: in the compute dtype, or float32 when that is bfloat16 or
   * float16.
   */
  @Override
  public Operand<?> loss() {
    return outputs.get("loss");
  }

  /**
   * The forward pass and mean loss of this training graph built again in {@code scope}, typically
   * the scope of a function body ({@code io.longshort.compile.XlaFunction}) whose parameters are
   * this graph's ({@link Parameters#forFunctionBody}): same parameter names, same dropout sites.
   * The loss is float32 at least, as {@link #loss()}: a bfloat16 body widens its logits first.
   *
   * @param in stand-ins of {@link #inputs()} (in order), then of {@link #dropoutSeed()} and
   *     {@link #dropoutRate()}
   * @param labels stand-in of {@link #labels()}
   */
  @Override
  public Operand<?> trainingLoss(GraphScope<T> scope, List<Operand<?>> in, Operand<TInt32> labels) {
    if (!training) {
      throw new IllegalStateException("not a training graph");
    }
    if (in.size() != inputs.size() + 2) {
      throw new IllegalArgumentException("expected " + (inputs.size() + 2) + " inputs (model inputs, dropout seed"
          + " and rate), got " + in.size());
    }
    return lossOps(scope.tf(), Precision.widen(scope.tf(), forward(scope, in, true)), labels, new LinkedHashMap<>());
  }

  /**
   * Random ids in 1..V-2 for every input, row-major (batch, length); rows 1, 3, ... are padded
   * after two thirds of their length (mask 0, id 0) when the model takes a mask.
   */
  @Override
  public Map<String, HostArray> exampleInputs(int batch, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    int n = length;
    boolean masked = inputs.keySet().stream().anyMatch(k -> k.startsWith("mask"));
    int[] mask = new int[batch * n];
    for (int r = 0; r < batch; r++) {
      int real = r % 2 == 0 || !masked ? n : Math.max(1, n * 2 / 3);
      for (int t = 0; t < real; t++) {
        mask[r * n + t] = 1;
      }
    }
    Map<String, HostArray> out = new LinkedHashMap<>();
    long[] shape = {batch, n};
    for (String name : inputs.keySet()) {
      if (name.startsWith("mask")) {
        out.put(name, HostArray.ints(shape, mask.clone()));
      } else {
        int[] v = new int[batch * n];
        for (int i = 0; i < v.length; i++) {
          v[i] = mask[i] * (1 + rnd.nextInt(Math.max(1, spec.vocabSize() - 2)));
        }
        out.put(name, HostArray.ints(shape, v));
      }
    }
    return out;
  }

  @Override
  public String specJson() {
    return spec.toJson();
  }

  @Override
  public double trainingDropout() {
    return spec.dropout();
  }

  /**
   * serving_default (logits, probabilities), classify (scores, classes) for classifiers and
   * retrieval, and generate (the whole decode loop) for language models.
   */
  @Override
  public synchronized Map<String, Signature> signatures() {
    Map<String, Signature> sigs = ServingSignatures.ofLogits(graph, logits(), new LinkedHashMap<>(inputs),
        spec.task() != io.longshort.spec.Task.LANGUAGE_MODEL);
    if (spec.task() == io.longshort.spec.Task.LANGUAGE_MODEL) {
      sigs.put(io.longshort.graph.model.GenerateSignature.KEY, generateSignature(null));
    }
    return sigs;
  }

  /** The largest max_new_tokens the generate signature accepts ({@link Builder#optMaxNewTokensCap}). */
  @Override
  public int maxNewTokensCap() {
    return maxNewTokensCap;
  }

  @Override
  public boolean training() {
    return training;
  }

  /** The (2) int64 dropout seed of a training graph. */
  @Override
  public Operand<TInt64> dropoutSeed() {
    return dropoutSeed;
  }

  /** The float32 dropout rate of a training graph: 0 unless fed (evaluation feeds nothing). */
  @Override
  public Operand<org.tensorflow.types.TFloat32> dropoutRate() {
    return dropoutRate;
  }

  /** Labels (B) or next-byte targets (B, N) of a training graph. */
  @Override
  public Placeholder<TInt32> labels() {
    return labels;
  }

  /** The authors' SCHead, (B, in) -> (B, classes): Linear (.0) -> ReLU -> Linear (.2), no dropout. */
  private ClassificationHead<T> head(GraphScope<T> root, int in) {
    return new ClassificationHead<>(root.child("seq_classifer").child("mlpblock"), in, spec.hiddenWidth(),
        Activation.RELU, spec.classes(), Dropout.none());
  }

  /** Encoder and pooling of one tower: ids, mask (B, N) int32 -> (B, D). */
  private Operand<T> encode(GraphScope<T> root, Encoder<T> encoder, Operand<TInt32> ids, Operand<TInt32> mask) {
    Ops tf = root.tf();
    Operand<TInt32> encIds = ids;
    Operand<TInt32> encMask = mask;
    if (spec.pooling() == Pooling.CLS) {
      // the authors' append_cls: id vocab_size - 1, mask 1, in front
      Operand<TInt32> first = Shapes.slice(tf, ids, new long[] {0, 0}, new long[] {-1, 1});
      Operand<TInt32> clsId = tf.math.add(tf.zerosLike(first), tf.constant(spec.vocabSize() - 1));
      encIds = Shapes.concat(tf, 1, List.of(clsId, ids));
      encMask = Shapes.concat(tf, 1, List.of(tf.onesLike(first), mask));
    }
    Operand<T> out = encoder.apply(encIds, tf.dtypes.cast(encMask, root.dtype()));
    return switch (spec.pooling()) {
      // mean over all rows, padding rows (zero) included in the divisor, as the authors'
      case MEAN -> tf.math.mean(out, tf.constant(1), Mean.keepDims(false));
      case CLS, CLS_LAST_LAYER, CLS_TOKEN -> io.longshort.graph.core.Pooling.cls(root, out);
      case NONE -> throw new AssertionError("pooling none on a " + spec.task());
    };
  }

  /** The model's spec: its task, vocabulary and classes. */
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public io.longshort.spec.Task task() {
    return spec.task();
  }

  @Override
  public int classes() {
    return spec.task() == io.longshort.spec.Task.LANGUAGE_MODEL ? 0 : spec.classes();
  }

  @Override
  public io.longshort.data.TextTokenizer tokenizer() {
    return io.longshort.graph.text.Tokenizers.of(spec);
  }

  /** serving_default: input_ids (B, N) -> logits (B, N, V). */
  @Override
  public Scoring scoring() {
    return new Scoring(ServingSignatures.DEFAULT, "input_ids", "logits", true);
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public int maxLength() {
    return spec.maxLength();
  }

  @Override
  public int vocabSize() {
    return spec.vocabSize();
  }

  @Override
  public Signature generateSignature(CompiledCalls compiledStep) {
    return GenerateSignature.build(params, spec, maxNewTokensCap, compiledStep);
  }




  @Override
  public Parameters<T> parameters() {
    return params;
  }

  @Override
  public Map<String, Placeholder<TInt32>> inputs() {
    return inputs;
  }

  /** logits, and loss, losses, hits for training graphs (see {@link #logits()}, {@link #loss()}). */
  @Override
  public Map<String, Operand<?>> outputs() {
    return outputs;
  }

  /**
   * Runs the model on int inputs given by name (row-major (B, N) arrays) and returns the logits,
   * row-major.
   */
  public double[] logits(long batch, Map<String, int[]> values) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session().runner();
      for (Map.Entry<String, Placeholder<TInt32>> in : inputs.entrySet()) {
        int[] v = values.get(in.getKey());
        if (v == null) {
          throw new IllegalArgumentException("missing input '" + in.getKey() + "'; the model takes " + inputs.keySet());
        }
        Tensor t = HostTensors.ints(new long[] {batch, length}, v);
        fed.add(t);
        runner.feed(in.getValue(), t);
      }
      try (var result = runner.fetch(outputs.get("logits")).run()) {
        return HostTensors.toDoubles(result.get(0));
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

}
