package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.core.Parameter;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.longshort.reference.FiniteDifferences;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat64;

/**
 * The training loss of a whole model (embeddings, blocks with a CLS token in the last layer, head,
 * cross-entropy) differentiated by TF against central differences in float64, for sampled elements
 * of every parameter.
 */
class ModelGradientTest {
  static final int B = 2;
  static final int N = 11;
  static final double STEP = 1e-5;

  @Test
  void trainingLossGradientsMatchFiniteDifferences() {
    ModelSpec spec = ModelSpec.classifier().setVocabSize(9).setMaxLength(N).setWidth(8).setLayers(2).setHiddenWidth(12)
        .setAttention(AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(3).setRank(2).build())
        .setClasses(3).optPooling(Pooling.CLS_LAST_LAYER).build();
    Random rnd = new Random(8);
    int[] ids = new int[B * N];
    int[] mask = new int[B * N];
    for (int i = 0; i < ids.length; i++) {
      mask[i] = i >= N && i % N >= 7 ? 0 : 1;
      ids[i] = mask[i] * (1 + rnd.nextInt(7));
    }
    int[] labels = {2, 0};
    try (ModelGraph<TFloat64> g = ModelGraph.builder(spec).setDtype(TFloat64.class).setBatch(B).setLength(N).optSeed(4).optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build()) {
      List<Parameter<TFloat64>> params = g.parameters().list();
      Output<?>[] grads = g.graph().addGradients(g.loss().asOutput(),
          params.stream().map(p -> p.value().asOutput()).toArray(Output<?>[]::new));
      List<double[]> values = new ArrayList<>();
      for (Parameter<TFloat64> p : params) {
        try (var r = g.session().runner().fetch(p.value()).run()) {
          values.add(HostTensors.toDoubles(r.get(0)));
        }
      }
      double[][] analytic = new double[params.size()][];
      try (Feeds f = new Feeds(g, params, values, ids, mask, labels)) {
        var runner = f.runner;
        for (Output<?> o : grads) {
          runner.fetch(o);
        }
        try (var r = runner.run()) {
          for (int i = 0; i < grads.length; i++) {
            analytic[i] = HostTensors.toDoubles(r.get(i));
          }
        }
      }
      FiniteDifferences.Worst w = FiniteDifferences.compare(params.stream().map(p -> p.name()).toList(), values,
          analytic, 4, STEP, rnd, () -> loss(g, params, values, ids, mask, labels));
      double worst = w.error();
      String where = w.where();
      assertTrue(worst <= 1e-3, "relative error " + worst + " at " + where);
    }
  }

  private static double loss(ModelGraph<TFloat64> g, List<Parameter<TFloat64>> params, List<double[]> values,
      int[] ids, int[] mask, int[] labels) {
    try (Feeds f = new Feeds(g, params, values, ids, mask, labels); var r = f.runner.fetch(g.loss()).run()) {
      return HostTensors.toDoubles(r.get(0))[0];
    }
  }

  /** Feeds inputs, labels and every parameter's read value. */
  private static final class Feeds implements AutoCloseable {
    final List<Tensor> tensors = new ArrayList<>();
    final Session.Runner runner;

    Feeds(ModelGraph<TFloat64> g, List<Parameter<TFloat64>> params, List<double[]> values, int[] ids, int[] mask,
        int[] labels) {
      runner = g.session().runner();
      for (var e : Map.of("input_ids", ids, "mask", mask).entrySet()) {
        Tensor t = HostTensors.ints(new long[] {B, N}, e.getValue());
        tensors.add(t);
        runner.feed(g.inputs().get(e.getKey()), t);
      }
      Tensor l = HostTensors.ints(new long[] {B}, labels);
      tensors.add(l);
      runner.feed(g.labels(), l);
      for (int i = 0; i < params.size(); i++) {
        Tensor t = HostTensors.of(TFloat64.class, params.get(i).shape(), values.get(i));
        tensors.add(t);
        runner.feed(params.get(i).value(), t);
      }
    }

    @Override
    public void close() {
      tensors.forEach(Tensor::close);
    }
  }
}
