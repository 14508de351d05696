package io.longshort.train;

import io.longshort.data.BatchKind;
import io.longshort.data.Dataset;
import io.longshort.data.TextFileExamples;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.TrainableModel;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.VisionSpec;
import java.util.Objects;
import org.tensorflow.types.TFloat32;

/** {@link Model#of(VisionSpec)}: the ViL image classifiers, built as {@link VisionModelGraph}s. */
final class VisionModel implements Model<TFloat32> {
  private final VisionSpec spec;

  VisionModel(VisionSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  @Override
  public Class<TFloat32> dtype() {
    return TFloat32.class;
  }

  @Override
  public String family() {
    return "vision";
  }

  @Override
  public boolean languageModel() {
    return false;
  }

  @Override
  public int defaultLength() {
    return 0;
  }

  @Override
  public Dataset.Reading reading(int length) {
    return new Dataset.Reading(BatchKind.CLASSIFICATION, TextFileExamples.Kind.TEXT, 0, null);
  }

  @Override
  public TrainableModel<?> buildTraining(Build b) {
    if (b.dtype() != TFloat32.class || b.variableDtype() != TFloat32.class) {
      throw new IllegalArgumentException("vision models train in float32 (bf16 is for token models)");
    }
    // any batch: the evaluation's last batch may be smaller
    return VisionModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).optSeed(b.seed()).optTraining(true)
        .optRecompute(b.recompute()).build();
  }

  @Override
  public ServableModel<?> buildServing(Build b) {
    return VisionModelGraph.build(spec, TFloat32.class, b.batch(), b.seed());
  }

  @Override
  public String describe(TrainableModel<?> built) {
    return spec.toJson();
  }
}
