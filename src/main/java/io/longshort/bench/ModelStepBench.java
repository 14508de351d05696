package io.longshort.bench;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.train.CompiledStep;
import io.longshort.train.Optimizer;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * A whole model's training step (embeddings, pre-LN blocks with the benchmarked attention, mean
 * pooling, classifier, AdamW update) as one function called with or without XLA, like
 * {@link io.longshort.train.Trainer} runs it. Random bytes, no padding, no dropout.
 */
final class ModelStepBench implements AutoCloseable {
  /** Blocks of the benchmarked model. */
  public static final int LAYERS = 2;

  private final ModelGraph<TFloat32> g;
  private final CompiledStep<TFloat32> step;
  private final List<Tensor> fed = new ArrayList<>();

  public ModelStepBench(AttentionSpec attention, int batch, int n, boolean xla) {
    ModelSpec spec = ModelSpec.classifier().setVocabSize(257).setMaxLength(n).setWidth(attention.width())
        .setLayers(LAYERS).setHiddenWidth(2 * attention.width()).setAttention(attention).setClasses(2)
        .optPooling(Pooling.MEAN).optDropout(0).build();
    g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(batch).setLength(n).optSeed(1).optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build();
    Optimizer<TFloat32> opt = PlainStep.optimizer(g, OptimizerSpec.authorsLra(100, 10_000), TFloat32.class);
    step = CompiledStep.build(g, opt, xla, null);
    RandomTensors.ClassifierBatch random = RandomTensors.classifierBatch(spec, batch, n);
    fed.add(HostTensors.ints(new long[] {batch, n}, random.ids()));
    fed.add(HostTensors.ints(new long[] {batch, n}, random.mask()));
    fed.add(HostTensors.ints(new long[] {batch}, random.labels()));
    fed.add(TInt64.vectorOf(1, 0));
    fed.add(TFloat32.scalarOf(0f));
  }

  /** Runs one training step; returns milliseconds. */
  public double stepOnce() {
    Session s = g.session();
    long t0 = System.nanoTime();
    s.runner().feed(g.inputs().get("input_ids"), fed.get(0)).feed(g.inputs().get("mask"), fed.get(1))
        .feed(g.labels(), fed.get(2)).feed(g.dropoutSeed(), fed.get(3)).feed(g.dropoutRate(), fed.get(4))
        .fetch(step.loss()).run().close();
    return (System.nanoTime() - t0) / 1e6;
  }

  @Override
  public void close() {
    fed.forEach(Tensor::close);
    g.close();
  }
}
