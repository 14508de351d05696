package io.longshort.train;

import io.longshort.data.BatchKind;
import io.longshort.data.Dataset;
import io.longshort.data.ListOpsVocab;
import io.longshort.data.TextFileExamples;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.TrainableModel;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.util.Objects;
import org.tensorflow.types.TFloat32;

/** {@link Model#of(ModelSpec)}: the token models, built as {@link ModelGraph}s. */
final class SpecModel implements Model<TFloat32> {
  private final ModelSpec spec;

  SpecModel(ModelSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  ModelSpec spec() {
    return spec;
  }

  @Override
  public Class<TFloat32> dtype() {
    return TFloat32.class;
  }

  @Override
  public String family() {
    return "tokens";
  }

  @Override
  public boolean languageModel() {
    return spec.task() == Task.LANGUAGE_MODEL;
  }

  @Override
  public int defaultLength() {
    return spec.maxTokens();
  }

  @Override
  public Dataset.Reading reading(int length) {
    BatchKind kind = switch (spec.task()) {
      case CLASSIFIER -> BatchKind.CLASSIFICATION;
      case RETRIEVAL -> BatchKind.RETRIEVAL;
      case LANGUAGE_MODEL -> BatchKind.LANGUAGE_MODEL;
    };
    // as the CLI reads a user's file: pairs for retrieval, ListOps expressions for the ListOps vocabulary
    TextFileExamples.Kind text = spec.task() == Task.RETRIEVAL ? TextFileExamples.Kind.PAIR
        : spec.vocabSize() <= ListOpsVocab.VOCAB_SIZE ? TextFileExamples.Kind.LISTOPS : TextFileExamples.Kind.TEXT;
    return new Dataset.Reading(kind, text, length, null);
  }

  @Override
  public ModelGraph<?> buildTraining(Build b) {
    if (b.length() < 1 || b.length() > spec.maxTokens()) {
      throw new IllegalArgumentException("length (" + b.length() + ") must be in 1.." + spec.maxTokens()
          + " for this model");
    }
    return ModelGraph.builder(spec).setDtype(b.dtype()).optVariableDtype(b.variableDtype()).setBatch(b.batch())
        .setLength(b.length()).optSeed(b.seed()).optTraining(true).optRecompute(b.recompute())
        .optCompiledPieces(b.pieces()).build();
  }

  @Override
  public ServableModel<?> buildServing(Build b) {
    // per-row Nystrom inverses: TF Serving's batching must not change a request's answer
    return ModelGraph.builder(spec.forServing()).setDtype(b.dtype()).optVariableDtype(b.variableDtype())
        .setBatch(b.batch()).setLength(b.length()).optSeed(b.seed()).build();
  }

  @Override
  public String describe(TrainableModel<?> built) {
    return spec.toJson();
  }
}
