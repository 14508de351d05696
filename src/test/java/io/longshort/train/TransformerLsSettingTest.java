package io.longshort.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.spec.TransformerLsSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped LM settings hold the authors' launch scripts' values (restated here from the scripts). */
class TransformerLsSettingTest {
  /** block, batch per GPU, update_freq, updates, lr, warm-up: from autoregressive/launch/*-phase{1,2,3}.sh. */
  record Script(int block, int bsize, int updateFreq, long iters, double lr, int warmup) {}

  @Test
  void enwik8Base() throws Exception {
    check("transformer_ls_enwik8_base", 12, 0.2, 0.01, List.of(new Script(2048, 4, 1, 430000, 2.5e-4, 10000),
        new Script(4096, 4, 1, 50000, 1.25e-4, 5000), new Script(8192, 4, 1, 50000, 6.25e-5, 5000)));
  }

  @Test
  void enwik8Large() throws Exception {
    check("transformer_ls_enwik8_large", 30, 0.4, 0.1, List.of(new Script(2048, 4, 1, 430000, 2.5e-4, 10000),
        new Script(4096, 2, 4, 50000, 1.25e-4, 5000), new Script(8192, 1, 4, 50000, 6.25e-5, 5000)));
  }

  @Test
  void text8Base() throws Exception {
    check("transformer_ls_text8_base", 12, 0.2, 0.01, List.of(new Script(2048, 4, 1, 430000, 5e-4, 10000),
        new Script(4096, 4, 1, 50000, 2.5e-4, 5000), new Script(8192, 2, 1, 50000, 1.25e-4, 5000)));
  }

  private static void check(String name, int layers, double dropout, double weightDecay, List<Script> scripts)
      throws Exception {
    TransformerLsSetting s = TransformerLsSetting.load(name);
    assertEquals(s, TransformerLsSetting.parseJson(s.toJson()), "round trip");
    TransformerLsSpec m = s.model();
    assertEquals(List.of(layers, 512, 8, 2048, 512, 16, 1), List.of(m.layers(), m.width(), m.heads(),
        m.innerWidth(), m.window(), m.chunkSize(), m.chunkRank()));
    assertTrue(m.preLn() && m.useGelu() && !m.useBias());
    assertEquals(8, s.gpus());
    assertEquals(2, s.seed());
    assertEquals(scripts.size(), s.phases().size());
    for (int i = 0; i < scripts.size(); i++) {
      Script want = scripts.get(i);
      TransformerLsSetting.Phase p = s.phases().get(i);
      assertEquals(want.block(), p.block());
      assertEquals(want.block(), p.memLen());
      assertEquals(want.bsize() * 8 * want.updateFreq(), p.globalBatch(s.gpus()));
      assertEquals(want.iters(), p.updates());
      assertEquals(dropout, s.model(i).dropout());
      assertEquals(dropout, s.model(i).embDropout());
      assertEquals(want.block(), s.model(i).memLen());
      OptimizerSpec o = p.optimizer();
      assertEquals(OptimizerSpec.Type.ADAMW, o.type());
      assertEquals(OptimizerSpec.Schedule.CONSTANT, o.schedule());
      assertEquals(want.lr(), o.learningRate());
      assertEquals(want.warmup(), o.warmupSteps());
      assertEquals(weightDecay, o.weightDecay());
      assertEquals(0.0, o.clipNorm());
      assertEquals(1e-8, o.epsilon());
      // fixed lr after warm-up
      assertEquals(want.lr(), o.learningRateAt(want.warmup() + 1000L));
    }
  }

  @Test
  void refusesAPhaseTheModelCannotRun() throws Exception {
    String json = TransformerLsSetting.load("transformer_ls_enwik8_base").toJson()
        .replaceFirst("\"block\" : 2048", "\"block\" : 2064");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransformerLsSetting.parseJson(json));
    assertTrue(e.getMessage().contains("block length (2064)"), e.getMessage());
  }
}
