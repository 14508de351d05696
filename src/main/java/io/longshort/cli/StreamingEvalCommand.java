package io.longshort.cli;

import io.longshort.data.ByteCorpus;
import io.longshort.graph.model.TransformerLsLm;
import io.longshort.io.TextFiles;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.StreamingEval;
import io.longshort.train.TransformerLsSetting;
import io.longshort.weights.Safetensors;
import io.longshort.weights.WeightLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.types.TFloat32;

/**
 * {@code eval --block M --mem-len L}: the authors' LM scored block by block through its cache
 * ({@link StreamingEval}), with a progress bar. Weights come from a safetensors file under the
 * authors' state_dict names (a fairseq checkpoint's {@code decoder.model.} prefix is taken off).
 */
final class StreamingEvalCommand {
  private StreamingEvalCommand() {}

  /** The fairseq checkpoint prefix of the model's state. */
  static final String FAIRSEQ_PREFIX = "decoder.model.";

  static int run(PrintWriter o, String lm, Path weights, Path corpusFile, String split, int block, Integer memLen,
      Path dict, long maxBytes, boolean terminal) throws IOException {
    return run(o, lm, weights, null, null, corpusFile, split, block, memLen, dict, maxBytes, terminal);
  }

  /** With {@code run}: the weights and model of a {@code train-lm} checkpoint ({@code checkpoint}: best|latest|STEP|PATH). */
  static int run(PrintWriter o, String lm, Path weights, Path run, String checkpoint, Path corpusFile, String split,
      int block, Integer memLen, Path dict, long maxBytes, boolean terminal) throws IOException {
    if (run != null) {
      if (weights != null) {
        throw new IllegalArgumentException("--block takes one of --run DIR (a train-lm run) or --weights FILE, not both");
      }
      weights = io.longshort.train.RunFolder.resolveCheckpoint(run, checkpoint == null ? "latest" : checkpoint);
      if (lm == null) {
        try (Safetensors st = Safetensors.open(weights)) {
          String model = st.metadata().get("model");
          if (model == null || !model.contains(TransformerLsSpec.KIND)) {
            throw new IllegalArgumentException("--run (" + run + "): " + weights.getFileName() + " is not a train-lm"
                + " checkpoint of the authors' LM (its metadata names no " + TransformerLsSpec.KIND + " model)");
          }
          lm = model;
        }
      }
    }
    if (weights == null) {
      throw new IllegalArgumentException("--block needs --weights (a safetensors file of the authors' state_dict)"
          + " or --run DIR (a train-lm run)");
    }
    try (ByteCorpus corpus = ByteCorpus.open(corpusFile); Safetensors st = Safetensors.open(weights)) {
      TransformerLsSpec spec;
      if (lm != null) {
        spec = TransformerLsSetting.SHIPPED.contains(lm) ? TransformerLsSetting.load(lm).model()
            : lm.trim().startsWith("{") ? TransformerLsSpec.parseJson(lm) // a run checkpoint's own model
            : TransformerLsSpec.parseJson(TextFiles.read(Path.of(lm), "--lm"));
      } else if (st.metadata().containsKey("config")) {
        // a converted checkpoint (scripts/fairseq_to_safetensors.py) names its own model
        spec = TransformerLsSpec.fromAuthorsConfig(
            io.longshort.spec.Json.readTree(st.metadata().get("config"), weights + ": metadata \"config\""));
      } else {
        throw new IllegalArgumentException("--weights (" + weights + ") holds no config: give --lm (a TransformerLsSpec"
            + " JSON file, or a setting: " + String.join(", ", TransformerLsSetting.SHIPPED) + ")");
      }
      if (memLen != null) {
        spec = spec.withMemLen(memLen);
      }
      Path dictFile = dict;
      if (dictFile == null && st.metadata().containsKey("dictionary")) {
        dictFile = weights.resolveSibling(st.metadata().get("dictionary"));
      }
      int[] idOfByte = StreamingEval.byteIds();
      if (dictFile != null) {
        io.longshort.data.FairseqDictionary d = io.longshort.data.FairseqDictionary.read(dictFile);
        if (d.size() != spec.vocabSize()) {
          throw new IllegalArgumentException("--dict (" + dictFile + ") gives " + d.size() + " ids but the model's"
              + " vocab_size is " + spec.vocabSize());
        }
        idOfByte = d.idOfByte();
      }
      try (TransformerLsLm<TFloat32> model = TransformerLsLm.build(spec, TFloat32.class, 1, block, 0)) {
        String prefix = st.contains("in_emb.weight") ? "" : FAIRSEQ_PREFIX;
        WeightLoader.load(model.session(), model.parameters(), st, "", prefix);
        ByteCorpus.Range range = switch (split) {
          case "all" -> new ByteCorpus.Range(0, corpus.size());
          case "test" -> corpus.range(ByteCorpus.Split.TEST);
          case "valid" -> corpus.range(ByteCorpus.Split.VALID);
          default -> throw new IllegalArgumentException("--split (" + split + ") must be valid, test or all");
        };
        if (maxBytes > 0 && maxBytes < range.length()) {
          range = new ByteCorpus.Range(range.offset(), maxBytes);
        }
        long started = System.nanoTime();
        long[] lastLine = {0};
        StreamingEval.Result r = StreamingEval.evaluate(model, corpus, range, idOfByte, (done, total, scored, bpc) -> {
          double elapsed = (System.nanoTime() - started) / 1e9;
          String text = String.format("block %d/%d  bits/char %.4f  %,.0f bytes/s", done, total, bpc, scored / elapsed);
          if (terminal) {
            int width = 24;
            int filled = (int) (width * done / total);
            o.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + text + "   ");
            o.flush();
          } else if (done == total || done - lastLine[0] >= Math.max(1, total / 50)) {
            o.println(text);
            o.flush();
            lastLine[0] = done;
          }
        });
        if (terminal) {
          o.println();
        }
        o.printf("%s on %s: bits/char %.4f  (%,d bytes predicted, blocks of %d from a %d-position cache, %,d blocks)%n",
            weights.getFileName(), split, r.bitsPerCharacter(), r.scored(), block, spec.memLen(), r.blocks());
        o.flush();
      }
    }
    return 0;
  }
}
