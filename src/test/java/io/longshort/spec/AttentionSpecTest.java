package io.longshort.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class AttentionSpecTest {

  private static void assertRejected(Executable build, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void widthMustBeDivisibleByHeads() {
    assertRejected(() -> AttentionSpec.longShort().setWidth(10).setHeads(3).setWindow(8).setRank(4).build(),
        "width (10) is not divisible by heads (3)");
  }

  @Test
  void windowAndRankMustNotBeNegative() {
    assertRejected(() -> AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(-1).setRank(4).build(),
        "window (-1)", ">= 0");
    assertRejected(() -> AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(8).setRank(-2).build(),
        "rank (-2)", ">= 0");
  }

  @Test
  void windowAndRankMustNotBothBeZero() {
    assertRejected(() -> AttentionSpec.longShort().setWidth(8).setHeads(2).setWindow(0).setRank(0).build(),
        "window (0) and rank (0) are both 0");
  }

  @Test
  void requiredFieldsAreNamed() {
    assertRejected(() -> AttentionSpec.longShort().setWidth(8).setHeads(2).setRank(4).build(),
        "window is required", "setWindow");
    assertRejected(() -> AttentionSpec.full().setHeads(2).build(), "width is required");
  }

  @Test
  void causalNeedsSegmentAndRankAndAWindow() {
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setRank(1).build(),
        "segment is required");
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setSegment(4).build(),
        "rank is required");
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(0).setSegment(4)
        .setRank(1).build(), "window (0) must be >= 1");
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setSegment(0)
        .setRank(0).build(), "segment (0) must be >= 1");
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setSegment(4)
        .setRank(4).build(), "rank (4) must be smaller than segment (4)");
    assertRejected(() -> AttentionSpec.causalLongShort().setWidth(8).setHeads(2).setWindow(4).setSegment(4)
        .setRank(1).optGlobalToken(GlobalToken.INPUT).build(), "globalToken (input)");
  }

  @Test
  void fullAttentionRefusesLongShortFields() {
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).setWindow(8).build(),
        "window (8) does not apply to full attention");
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).setRank(3).build(), "rank (3)");
  }

  @Test
  void epsilonMustBePositive() {
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).optLayerNormEpsilon(0).build(),
        "layerNormEpsilon (0.0)");
  }

  @Test
  void roundTripsThroughJson() {
    List<AttentionSpec> specs = List.of(
        AttentionSpec.longShort().setWidth(64).setHeads(2).setWindow(8).setRank(32)
            .optGlobalToken(GlobalToken.INPUT).build(),
        AttentionSpec.longShort().setWidth(64).setHeads(4).setWindow(0).setRank(1)
            .optGlobalToken(GlobalToken.FIRST_ROW).optLayerNormEpsilon(1e-6).build(),
        AttentionSpec.causalLongShort().setWidth(512).setHeads(8).setWindow(512).setSegment(16).setRank(1).build(),
        AttentionSpec.full().setWidth(64).setHeads(2).build(),
        AttentionSpec.causalFull().setWidth(64).setHeads(2).build(),
        AttentionSpec.linformer().setWidth(64).setHeads(2).setRank(256).build(),
        AttentionSpec.linformer().setWidth(32).setHeads(2).setRank(8).optMaxLength(64).optConvKernel(5).build(),
        AttentionSpec.nystrom().setWidth(64).setHeads(2).setLandmarks(128).build(),
        AttentionSpec.nystrom().setWidth(64).setHeads(2).setLandmarks(16).optConvKernel(35)
            .optInverseStart(PseudoInverseStart.ROW).build(),
        AttentionSpec.performer().setWidth(64).setHeads(2).setFeatures(256).build(),
        AttentionSpec.performer().setWidth(64).setHeads(2).setFeatures(64).optFeatureMap(FeatureMap.SOFTMAX)
            .optFeatureSeed(9).build(),
        AttentionSpec.longformer().setWidth(64).setHeads(2).setWindow(256).optGlobalTokens(1).build(),
        AttentionSpec.longformer().setWidth(64).setHeads(2).setWindow(8).build(),
        AttentionSpec.bigBird().setWidth(64).setHeads(2).setBlockSize(64).build(),
        AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).optRandomBlocks(1)
            .optRandomPlan(new int[][][] {{{3}, {4}, {1}, {1}}, {{4}, {5}, {2}, {2}}}).build());
    for (AttentionSpec spec : specs) {
      String json = spec.toJson();
      assertEquals(spec, AttentionSpec.parseJson(json), json);
      assertEquals(json, AttentionSpec.parseJson(json).toJson());
    }
  }

  @Test
  void baselineKindsNameTheirFields() {
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).build(), "rank is required", "linformer_k");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(0).build(), "rank (0) must be >= 1");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(4).optMaxLength(-3).build(),
        "maxLength (-3)");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(4).setWindow(8).build(),
        "window (8) does not apply to linformer attention");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(4).optConvKernel(4).build(),
        "convKernel (4) must be 0 (no convolution) or an odd size");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(4).setLandmarks(4).build(),
        "landmarks (4) does not apply to linformer attention");
    assertRejected(() -> AttentionSpec.linformer().setWidth(8).setHeads(2).setRank(4)
        .optInverseStart(PseudoInverseStart.ROW).build(), "inverseStart (row) applies to nystrom attention only");
    assertRejected(() -> AttentionSpec.nystrom().setWidth(8).setHeads(2).build(), "landmarks is required");
    assertRejected(() -> AttentionSpec.nystrom().setWidth(8).setHeads(2).setLandmarks(0).build(),
        "landmarks (0) must be >= 1");
    assertRejected(() -> AttentionSpec.nystrom().setWidth(8).setHeads(2).setLandmarks(4).setRank(2).build(),
        "rank (2) does not apply to nystrom attention");
    assertRejected(() -> AttentionSpec.nystrom().setWidth(8).setHeads(2).setLandmarks(4)
        .optGlobalToken(GlobalToken.INPUT).build(), "globalToken (input) applies to long_short attention only");
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).optConvKernel(3).build(),
        "convKernel (3) does not apply to full attention");
    assertRejected(() -> AttentionSpec.performer().setWidth(8).setHeads(2).build(), "features is required");
    assertRejected(() -> AttentionSpec.performer().setWidth(8).setHeads(2).setFeatures(-1).build(),
        "features (-1) must be >= 1");
    assertRejected(() -> AttentionSpec.performer().setWidth(8).setHeads(2).setFeatures(4).optConvKernel(3).build(),
        "convKernel (3) does not apply to performer attention");
    assertRejected(() -> AttentionSpec.nystrom().setWidth(8).setHeads(2).setLandmarks(4)
        .optFeatureMap(FeatureMap.SOFTMAX).build(), "featureMap (softmax) applies to performer attention only");
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).setFeatures(4).build(),
        "features (4) does not apply to full attention");
    assertRejected(() -> AttentionSpec.longformer().setWidth(8).setHeads(2).build(), "window is required",
        "attention_window");
    assertRejected(() -> AttentionSpec.longformer().setWidth(8).setHeads(2).setWindow(5).build(),
        "window (5) must be even and >= 2");
    assertRejected(() -> AttentionSpec.longformer().setWidth(8).setHeads(2).setWindow(4).optGlobalTokens(-1).build(),
        "globalTokens (-1) must be >= 0");
    assertRejected(() -> AttentionSpec.performer().setWidth(8).setHeads(2).setFeatures(4).optGlobalTokens(1).build(),
        "globalTokens (1) does not apply to performer attention");
    assertRejected(() -> AttentionSpec.bigBird().setWidth(8).setHeads(2).build(), "blockSize is required");
    assertRejected(() -> AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).optRandomBlocks(-1).build(),
        "randomBlocks (-1) must be >= 0");
    assertRejected(() -> AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).optRandomBlocks(1)
        .optRandomPlan(new int[][][] {{{3}, {9}}, {{1}, {2}}}).build(), "randomPlan block 9 is outside 0..3");
    assertRejected(() -> AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).optRandomBlocks(2)
        .optRandomPlan(new int[][][] {{{3}}, {{1}}}).build(), "randomPlan rows must have randomBlocks (2) entries");
    assertRejected(() -> AttentionSpec.full().setWidth(8).setHeads(2).setBlockSize(4).build(),
        "blockSize (4) does not apply to full attention");
    assertEquals(3, AttentionSpec.bigBird().setWidth(8).setHeads(2).setBlockSize(4).build().randomBlocks());
    assertEquals(FeatureMap.RELU, AttentionSpec.performer().setWidth(8).setHeads(2).setFeatures(4).build().featureMap());
    assertEquals(PseudoInverseStart.BATCH,
        AttentionSpec.nystrom().setWidth(8).setHeads(2).setLandmarks(4).build().inverseStart(),
        "the authors' start by default");
    assertRejected(() -> AttentionSpec.parseJson(
        "{\"kind\":\"nystrom\",\"width\":8,\"heads\":2,\"landmarks\":4,\"inverseStart\":\"rows\"}"),
        "inverseStart (\"rows\") is not one of batch, row");
  }

  @Test
  void jsonIsValidatedLikeTheBuilder() {
    assertRejected(() -> AttentionSpec.parseJson(
        "{\"kind\":\"long_short\",\"width\":10,\"heads\":3,\"window\":8,\"rank\":4}"),
        "width (10) is not divisible by heads (3)");
    assertRejected(() -> AttentionSpec.parseJson(
        "{\"kind\":\"long_short\",\"width\":8,\"heads\":2,\"window\":8,\"rank\":4,\"ranks\":3}"),
        "ranks");
    assertRejected(() -> AttentionSpec.parseJson("{\"kind\":\"sparse\",\"width\":8,\"heads\":2}"),
        "sparse", "long_short");
  }
}
