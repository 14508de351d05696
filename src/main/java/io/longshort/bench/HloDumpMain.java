package io.longshort.bench;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.decode.TransformerLsDecoder;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Pooling;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.CompiledStep;
import io.longshort.train.Optimizer;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.PlainStep;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Runs each of our must-compile functions once, so that XLA compiles it and, under
 * {@code XLA_FLAGS=--xla_dump_to=DIR}, writes its HLO module: what scripts/gpu_check.sh carries to
 * a device machine. The shapes are the benchmarks' (bench/attention, bench/peers, bench/transformer_ls):
 *
 * <ul>
 *   <li>the long-short layer (D 256, 4 heads, w 128, r 64, batch 1), forward and forward + backward,
 *       at each N of args[0] (default 4096,8192,16384,32768,65536);
 *   <li>the ListOps training step at the authors' setting (2 x 64, 2 heads, (w, r) = (16, 2), FFN 128,
 *       N 2048, batch 32, AdamW, dropout 0);
 *   <li>the authors' LM (2 layers, D 256, 4 heads, FFN 1024, window 512, chunk 16, rank 1): the
 *       training block step (forward + backward, block 2048, cache 2048, batch 1) and the decode step.
 * </ul>
 *
 * <p>Prints one line per function, in order, so the script can name the modules XLA wrote.
 */
public final class HloDumpMain {
  private HloDumpMain() {}

  public static void main(String[] args) {
    List<Integer> lengths = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "4096,8192,16384,32768,65536").split(",")) {
      lengths.add(Integer.parseInt(s.trim()));
    }
    AttentionSpec layer = AttentionSpec.longShort().setWidth(256).setHeads(4).setWindow(128).setRank(64).build();
    for (int n : lengths) {
      try (LayerBench b = new LayerBench(layer, 1, n, true)) {
        b.forwardOnce();
        done("layer_forward_n" + n);
        b.trainOnce();
        done("layer_forward_backward_n" + n);
      }
    }
    listOpsStep();
    done("listops_train_step");
    TransformerLsSpec lm = TransformerLsBench.spec(2, 256, 2048);
    lmBlockStep(lm, 2048);
    done("lm_block_step");
    try (TransformerLsDecoder<TFloat32> dec = TransformerLsDecoder.build(lm, TFloat32.class, 1, 2048, 0,
        io.longshort.compile.XlaFunction.MUST_COMPILE_CALLS)) {
      dec.reset();
      dec.step(new int[] {1});
      done("lm_decode_step");
    }
  }

  private static void done(String name) {
    System.out.println("DUMPED " + name);
    System.out.flush();
  }

  private static void listOpsStep() {
    int batch = 32;
    int n = 2048;
    AttentionSpec attention = AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(16).setRank(2).build();
    ModelSpec spec = ModelSpec.classifier().setVocabSize(18).setMaxLength(n).setWidth(64).setLayers(2)
        .setHiddenWidth(128).setAttention(attention).setClasses(10).optPooling(Pooling.CLS_LAST_LAYER).optDropout(0)
        .build();
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(batch).setLength(n)
        .optSeed(1).optTraining(true).build()) {
      Optimizer<TFloat32> opt = PlainStep.optimizer(g, OptimizerSpec.authorsLra(1000, 5000), TFloat32.class);
      CompiledStep<TFloat32> step = CompiledStep.build(g, opt, true, null);
      RandomTensors.ClassifierBatch random = RandomTensors.classifierBatch(spec, batch, n);
      try (Tensor idT = HostTensors.ints(new long[] {batch, n}, random.ids());
          Tensor maskT = HostTensors.ints(new long[] {batch, n}, random.mask());
          Tensor labelT = HostTensors.ints(new long[] {batch}, random.labels());
          Tensor seedT = TInt64.vectorOf(1, 0);
          Tensor rateT = TFloat32.scalarOf(0f)) {
        g.session().runner().feed(g.inputs().get("input_ids"), idT).feed(g.inputs().get("mask"), maskT)
            .feed(g.labels(), labelT).feed(g.dropoutSeed(), seedT).feed(g.dropoutRate(), rateT)
            .fetch(step.loss()).run().close();
      }
    }
  }

  private static void lmBlockStep(TransformerLsSpec spec, int block) {
    try (TransformerLsLm<TFloat32> lm = TransformerLsLm.buildForTraining(spec, TFloat32.class, 1, block, 0,
        io.longshort.compile.XlaFunction.MUST_COMPILE_CALLS, null);
        TFloat32 cache = lm.zeroCache();
        Tensor ids = HostTensors.ints(new long[] {1, block}, new int[block]);
        Tensor targets = HostTensors.ints(new long[] {1, block}, new int[block])) {
      var runner = lm.session().runner().feed(lm.inputs().get("input_ids"), ids)
          .feed(lm.inputs().get("targets"), targets).feed(lm.inputs().get("cache"), cache).fetch(lm.loss());
      lm.gradients().forEach(runner::fetch);
      runner.run().close();
    }
  }
}
