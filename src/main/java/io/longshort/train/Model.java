package io.longshort.train;

import io.longshort.data.Dataset;
import io.longshort.graph.core.CompiledPieces;
import io.longshort.graph.core.Recomputation;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.TrainableModel;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.VisionSpec;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * A model definition: it builds its graphs when they are needed, for training (batch B, labels,
 * dropout) and for serving (any batch, no dropout). {@link Trainer#builder} trains one,
 * {@code io.longshort.export.Export} exports one.
 *
 * <pre>
 * Model&lt;TFloat32&gt; model = Model.of(ModelSpec.load(Path.of("my_model.json")));
 * Model&lt;TFloat32&gt; mine = Model.composed(TFloat32.class)
 *     .addInput("input_ids", TInt32.class, N).addInput("mask", TInt32.class, N)
 *     .setForward((scope, in, dropout) -&gt; ...).setClasses(2).build();
 * </pre>
 *
 * @param <T> the dtype the model computes in
 */
public interface Model<T extends TFloating> {
  /** A shipped token-model family (LRA classifiers, retrieval, the byte LMs) from its spec. */
  static Model<TFloat32> of(ModelSpec spec) {
    return new SpecModel(spec);
  }

  /** A vision classifier (ViL) from its spec. */
  static Model<TFloat32> of(VisionSpec spec) {
    return new VisionModel(spec);
  }

  /** A model composed in Java from the layers ({@code graph.core}, {@code graph.attention}) or raw ops. */
  static <T extends TFloating> ComposedDefinition.Builder<T> composed(Class<T> dtype) {
    return ComposedDefinition.builder(dtype);
  }

  /** What a graph is built for: its dtypes, batch, length and seed, and how training graphs compute. */
  record Build(Class<? extends TFloating> dtype, Class<? extends TFloating> variableDtype, int batch, int length,
      long seed, CompiledPieces pieces, Recomputation recompute) {
    /**
     * A serving graph computing in {@code dtype} on variables of {@code variableDtype} (float32 master
     * weights under bfloat16): any batch (-1), seed 0, no compiled pieces.
     */
    public static Build serving(Class<? extends TFloating> dtype, Class<? extends TFloating> variableDtype,
        int length) {
      return new Build(dtype, variableDtype, -1, length, 0, null, null);
    }
  }

  /** The dtype the model computes in. */
  Class<T> dtype();

  /**
   * The family's name in a run's metadata ({@code tokens}, {@code vision}, {@code transformer_ls},
   * {@code composed}): what {@code Export.fromRun} rebuilds a model of.
   */
  String family();

  /** Whether the model predicts the next token (evaluation then reports bits per character). */
  boolean languageModel();

  /** N when the trainer is given none: the longest input the model takes (0: images). */
  int defaultLength();

  /** How the model reads a dataset at length {@code length}. */
  Dataset.Reading reading(int length);

  /** A training graph: labels, loss, dropout. */
  TrainableModel<?> buildTraining(Build build);

  /** A serving graph: any batch, no labels or dropout. */
  ServableModel<?> buildServing(Build build);

  /**
   * What a run records as its model, derived from the definition: the spec's JSON, or a composed
   * model's inputs, parameters (names and shapes) and classes read from its built graph.
   */
  String describe(TrainableModel<?> built);
}
