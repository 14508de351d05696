package io.longshort.graph.vision;

import io.longshort.graph.vision.LongShortAttention2d;
import io.longshort.graph.vision.VisionModelGraph;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.data.images.SyntheticImages;
import io.longshort.data.images.ImageSet;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.ImageAttentionSpec;
import io.longshort.spec.VisionSpec;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.tensorflow.types.TFloat32;

/** The vision model: shipped configs, validation, parameter names and counts, a forward pass. */
class VisionModelTest {
  @Test
  void shippedConfigsRoundTripThroughJson() throws Exception {
    for (String name : VisionSpec.SHIPPED) {
      VisionSpec spec = VisionSpec.load(name);
      assertEquals(spec, VisionSpec.parseJson(spec.toJson()), name);
    }
    VisionSpec medium = VisionSpec.load("vil_ls_medium");
    // the authors' arch: l1,h3,d96,n1,s1,g1,p4,f7,r8 _ l2,h3,d192,n4 _ l3,h6,d384,n16,s0 _ l4,h12,d768,n1,s0,g0
    assertEquals(4, medium.stages().size());
    assertEquals(AttentionKind.LONG_SHORT, medium.stages().get(1).attention().kind());
    assertEquals(AttentionKind.FULL, medium.stages().get(2).attention().kind());
    assertEquals(56, medium.gridSide(0));
    assertEquals(7, medium.gridSide(3));
    assertEquals(24, VisionSpec.load("vil_ls_base").stages().get(2).depth());
  }

  /**
   * The paper's parameter counts (ViL-LS-Medium 39.8M, ViL-LS-Base 55.8M) from the shipped configs,
   * counted by {@link #expectedParameters} (written from the authors' modules), which must equal
   * the count of a built graph (checked on the tiny config and a 2-stage medium-width model:
   * building the 24-block Base graph takes half a minute on 2 cores).
   */
  @Test
  void parameterCountsMatchThePaper() throws Exception {
    assertEquals(39.8, expectedParameters(VisionSpec.load("vil_ls_medium")) / 1e6, 0.06);
    assertEquals(55.8, expectedParameters(VisionSpec.load("vil_ls_base")) / 1e6, 0.06);
    VisionSpec medium = VisionSpec.load("vil_ls_medium");
    VisionSpec firstStages = new VisionSpec(112, 3, 1000, 4.0, 1e-6,
        java.util.List.of(medium.stages().get(0), medium.stages().get(1), medium.stages().get(3)));
    for (VisionSpec spec : new VisionSpec[] {VisionSpec.load("vil_ls_tiny"), firstStages}) {
      try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, 1, 0)) {
        assertEquals(expectedParameters(spec), g.parameters().count());
      }
    }
  }

  /**
   * ViL-LS-Medium at 384 px, window 8: 39,947,653 parameters, counted on the authors' MsViT built
   * with eval_medium_384.sh's arch (sum of numel over model.parameters(); the full-attention
   * stages' bias tables grow with the 24 x 24 and 12 x 12 grids).
   */
  @Test
  void medium384CountsAsTheAuthorsModel() throws Exception {
    assertEquals(39_947_653L, expectedParameters(VisionSpec.load("vil_ls_medium_384")));
  }

  /** Parameters of the authors' MsViT with this spec, module by module. */
  static long expectedParameters(VisionSpec spec) {
    long total = 0;
    for (int i = 0; i < spec.stages().size(); i++) {
      var st = spec.stages().get(i);
      long d = st.width();
      long h = st.attention().heads();
      long g = st.globalTokens();
      long p = st.patchSize();
      long x = spec.gridSide(i);
      // PatchEmbed: conv, norm_embed, cls_token
      total += d * spec.inputWidth(i) * p * p + d + 2 * d + g * d;
      long hidden = VisionSpec.hiddenWidth(st.width(), spec.mlpRatio());
      long block = 2 * d + 3 * d * d + 3 * d + d * d + d + 2 * d + d * hidden + hidden + hidden * d + d;
      var a = st.attention();
      if (a.kind() == AttentionKind.LONG_SHORT) {
        long r = a.rank();
        block += 2 * d; // dual_ln_full
        block += r > 0 ? r * h * d + r * h + 2 * d : 0;
        block += a.relativePositions() ? LongShortAttention2d.biasTableRows(a.window()) * h : 0;
      } else if (a.relativePositions()) {
        block += (2 * x - 1) * (2 * x - 1) * h + (g > 0 ? 2 * h * g + h * g * g : 0);
      }
      total += block * st.depth();
    }
    long d = spec.outputWidth();
    return total + 2 * d + d * spec.classes() + spec.classes();
  }

  @Test
  void parametersCarryTheAuthorsStateDictNames() throws Exception {
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(VisionSpec.load("vil_ls_tiny"), TFloat32.class, 1, 0)) {
      Set<String> names = new TreeSet<>(g.parameters().asMap().keySet());
      for (String n : new String[] {"layer1.0.proj.weight", "layer1.0.norm_embed.weight", "layer1.0.cls_token",
          "layer1.1.norm.weight", "layer1.1.attn.qkv.weight", "layer1.1.attn.proj.bias",
          "layer1.1.attn.to_dynamic_projection.weight", "layer1.1.attn.dual_ln_dp.weight",
          "layer1.1.attn.dual_ln_full.bias", "layer1.1.attn.local_relative_position_bias_table",
          "layer1.2.mlp.fc1.weight", "layer1.2.mlp.fc2.bias", "layer2.1.attn.local_relative_position_bias_table",
          "norm.weight", "head.weight"}) {
        assertTrue(names.contains(n), n + " missing from " + names);
      }
      assertEquals(32 * 3 * 4 * 4, g.parameters().get("layer1.0.proj.weight").size());
      // w = 3: 2 (3 + 1 - 1)(2 + 3 + 1) + 1 rows, 2 heads
      assertEquals(37L * 2, g.parameters().get("layer1.1.attn.local_relative_position_bias_table").size());
      // full attention on the 4 x 4 grid of stage 2: (2*4 - 1)^2 rows, 4 heads
      assertEquals(49L * 4, g.parameters().get("layer2.1.attn.local_relative_position_bias_table").size());
    }
  }

  @Test
  void forwardGivesFiniteLogitsPerImage() throws Exception {
    VisionSpec spec = VisionSpec.load("vil_ls_tiny");
    ImageSet set = SyntheticImages.generate(spec.classes(), 3, spec.imageSize(), 5);
    try (VisionModelGraph<TFloat32> g = VisionModelGraph.build(spec, TFloat32.class, -1, 0)) {
      double[] logits = g.logits(3, set.pixels());
      assertEquals(3 * spec.classes(), logits.length);
      for (double v : logits) {
        assertTrue(Double.isFinite(v));
      }
      // one image alone gives its row of the batch: images do not see each other
      double[] first = g.logits(1, set.image(0));
      for (int c = 0; c < spec.classes(); c++) {
        assertEquals(logits[c], first[c], 1e-5);
      }
    }
  }

  @Test
  void invalidSpecsAreRejectedWithTheField() {
    ImageAttentionSpec att = ImageAttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(3).setRank(2).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VisionSpec(8, 3, 10, 4.0,
        1e-6, java.util.List.of(new io.longshort.spec.VisionStage(16, 1, att))));
    assertTrue(e.getMessage().contains("patchSize (16)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ImageAttentionSpec.longShort().setWidth(8).setHeads(2)
        .setWindow(1).setRank(2).build());
    assertTrue(e.getMessage().contains("window (1)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ImageAttentionSpec.full().setWidth(8).setHeads(3).build());
    assertTrue(e.getMessage().contains("heads (3)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VisionSpec.parseJson(
        "{\"imageSize\": 32, \"classes\": 1, \"stages\": []}"));
    assertTrue(e.getMessage().contains("classes (1)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ImageAttentionSpec.parseJson(
        "{\"kind\": \"causal_full\", \"width\": 8, \"heads\": 2}"));
    assertTrue(e.getMessage().contains("causal_full"), e.getMessage());
  }
}
