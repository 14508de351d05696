package io.longshort.export;

import io.longshort.TestJvm;
import io.longshort.graph.model.GenerateSignature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.AttentionSpec;
import io.longshort.spec.ModelSpec;
import io.longshort.weights.Safetensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;

/**
 * A language model's SavedModel serves generation: its {@code generate} signature, run in a fresh
 * JVM (SavedModelBundle), gives the same greedy tokens as the Java training graph (the full
 * causal graph run on each growing prefix, argmax of its last row), and as the loop run in the
 * exporting JVM (the example file that scripts/check_generate_python.py compares Python TF with).
 */
class GenerateExportTest {
  static final int MAX_LENGTH = 32;

  @TempDir
  Path dir;

  static final ModelSpec SPEC = ModelSpec.languageModel().setVocabSize(17).setMaxLength(MAX_LENGTH).setWidth(8)
      .setLayers(2).setHiddenWidth(16).setAttention(AttentionSpec.causalLongShort().setWidth(8).setHeads(2)
          .setWindow(4).setSegment(3).setRank(1).build()).build();

  @Test
  void generateSignatureInAFreshJvmEqualsTheTrainingGraph() throws Exception {
    ModelSpec spec = SPEC;
    Path version;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(12).optSeed(9).build()) {
      version = ServingExport.export(g, dir, "lm", null, false, 4).versionDir();
    }
    Path example = version.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
    int[] exported;
    try (Safetensors ex = Safetensors.open(example)) {
      assertEquals(16, ex.readInts("generate.input.max_new_tokens")[0]);
      exported = ex.readInts("generate.output.new_tokens");
    }
    int[] want = greedyFromTrainingGraph(example);
    assertArrayEquals(want, exported, "exporting JVM's loop vs the training graph");
    assertArrayEquals(want, replay(version, dir.resolve("dump")), "fresh JVM's SavedModel vs the training graph");

    MetaGraphDef mg = SavedModel.parseFrom(Files.readAllBytes(version.resolve(SavedModelWriter.SAVED_MODEL_FILE)))
        .getMetaGraphs(0);
    var sig = mg.getSignatureDefOrThrow(GenerateSignature.KEY);
    assertEquals(DataType.DT_INT64, sig.getInputsOrThrow("seed").getDtype());
    assertEquals(DataType.DT_FLOAT, sig.getInputsOrThrow("temperature").getDtype());
    assertEquals(DataType.DT_INT32, sig.getOutputsOrThrow("new_tokens").getDtype());
    // the loop's body and condition travel in the library
    assertTrue(mg.getGraphDef().getLibrary().getFunctionList().stream()
        .anyMatch(f -> f.getSignature().getName().startsWith("generate_body")), "body function in saved_model.pb");
  }

  /**
   * --xla: the generate signature's loop calls a must-compile step function; in a fresh JVM it
   * compiles (XLA dump) and gives the training graph's greedy tokens.
   */
  @Test
  void compiledGenerateStepInAFreshJvmEqualsTheTrainingGraph() throws Exception {
    Path version;
    try (ModelGraph<TFloat32> g = ModelGraph.builder(SPEC).setDtype(TFloat32.class).setBatch(-1).setLength(12).optSeed(9).build()) {
      version = ServingExport.export(g, dir, "lm_xla", null, false, 4, new ExportOptions(true, false)).versionDir();
    }
    Path example = version.resolve(ServingExport.ASSETS_EXTRA).resolve(ServingExport.EXAMPLE_FILE);
    int[] want = greedyFromTrainingGraph(example);
    Path dump = dir.resolve("xla_dump");
    assertArrayEquals(want, replay(version, dump), "fresh JVM's compiled generate vs the training graph");
    assertTrue(CompiledSavedModelExportTest.compiled(dump, "generate_step"), "no generate_step module compiled");
    MetaGraphDef mg = SavedModel.parseFrom(Files.readAllBytes(version.resolve(SavedModelWriter.SAVED_MODEL_FILE)))
        .getMetaGraphs(0);
    assertTrue(mg.getSignatureDefOrThrow(GenerateSignature.KEY).getOutputsOrThrow("new_tokens").getName()
        .startsWith(GenerateSignature.COMPILED_SCOPE + "/"));
  }

  /** The training graph (weights seed 9), greedy one token at a time, on the example's prompts. */
  private static int[] greedyFromTrainingGraph(Path example) throws Exception {
    ModelSpec spec = SPEC;
    int[] prompts;
    int[] lengths;
    int maxNew;
    try (Safetensors ex = Safetensors.open(example)) {
      prompts = ex.readInts("generate.input.prompt_ids");
      lengths = ex.readInts("generate.input.prompt_lengths");
      maxNew = ex.readInts("generate.input.max_new_tokens")[0];
    }
    assertEquals(16, maxNew);
    int p = prompts.length / 2;
    int[] want = new int[2 * maxNew];
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(1).setLength(MAX_LENGTH).optSeed(9).optTraining(true)
        .optCompiledPieces(io.longshort.compile.XlaPieces.INSTANCE).build()) {
      for (int b = 0; b < 2; b++) {
        int[] buf = new int[MAX_LENGTH];
        System.arraycopy(prompts, b * p, buf, 0, lengths[b]);
        for (int j = 0; j < maxNew; j++) {
          int row = lengths[b] + j - 1;
          double[] logits = g.logits(1, Map.of("input_ids", buf));
          int best = 0;
          for (int c = 1; c < spec.vocabSize(); c++) {
            if (logits[row * spec.vocabSize() + c] > logits[row * spec.vocabSize() + best]) {
              best = c;
            }
          }
          want[b * maxNew + j] = best;
          buf[row + 1] = best;
        }
      }
    }
    return want;
  }

  /** {@link GenerateReplay} in a fresh JVM (XLA dumping into {@code xlaDump}): its new tokens. */
  private int[] replay(Path version, Path xlaDump) throws Exception {
    Path replayed = dir.resolve(version.getParent().getFileName() + ".replayed.safetensors");
    Path log = dir.resolve(version.getParent().getFileName() + ".replay.log");
    ProcessBuilder pb = new ProcessBuilder(TestJvm.command(GenerateReplay.class, version.toString(),
        replayed.toString())).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("XLA_FLAGS", "--xla_dump_to=" + xlaDump);
    Process proc = pb.start();
    assertTrue(proc.waitFor(180, TimeUnit.SECONDS), "fresh JVM timed out");
    assertEquals(0, proc.exitValue(), "fresh JVM failed: " + Files.readString(log));
    try (Safetensors r = Safetensors.open(replayed)) {
      return r.readInts("new_tokens");
    }
  }
}
