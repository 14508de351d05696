package io.longshort.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.longshort.io.TextFiles;
import io.longshort.spec.Json;
import io.longshort.spec.TransformerLsSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A paper LM setting on the authors' model ({@link TransformerLsSpec}): the model and the training
 * phases of the authors' launch scripts (autoregressive/launch/*-phase{1,2,3}.sh), each with its
 * block and cache length ({@code --tokens-per-sample}, {@code --mem-len}), batch and optimizer.
 * Their optimizer is fairseq's {@code adam} (decoupled weight decay, as AdamW; betas (0.9, 0.999),
 * eps 1e-8), {@code --lr-scheduler fixed} (linear warm-up, then the fixed lr), no clipping (their
 * scripts pass no {@code --clip-norm}, fairseq's default 0). Phases 2 and 3 start from the previous
 * phase's weights ({@code --finetune-from-model}: fresh optimizer, schedule and update count).
 *
 * <p>The batch: theirs is {@code --batch-size} per GPU x 8 GPUs (their scripts' comment: 8 V100s)
 * x {@code --update-freq}. We take that global batch, because it is what one update averages over
 * and what their lr and warm-up were tuned for; it is also the number of parallel streams
 * (truncated-BPTT lanes) the corpus is cut into. One machine reaches it with
 * {@code train-lm --accumulate K}: K groups of {@code globalBatch / K} lanes per update, each lane
 * keeping its own cache, their gradients added up before the update ({@link TruncatedBpttStep}).
 *
 * @param name the setting's name
 * @param model the model; its {@code mem_len} is that of the first phase
 * @param gpus the GPU count their batch assumes (8)
 * @param seed their {@code --seed}
 * @param phases the training phases, in order
 */
@JsonPropertyOrder({"name", "model", "gpus", "seed", "phases"})
public record TransformerLsSetting(
    @JsonProperty(value = "name", required = true) String name,
    @JsonProperty(value = "model", required = true) TransformerLsSpec model,
    @JsonProperty(value = "gpus", required = true) int gpus,
    @JsonProperty(value = "seed", required = true) long seed,
    @JsonProperty(value = "phases", required = true) List<Phase> phases) {

  /** The paper's settings, shipped in the jar (src/main/resources/configs/lm). */
  public static final List<String> SHIPPED = List.of(
      "transformer_ls_enwik8_base", "transformer_ls_enwik8_large", "transformer_ls_text8_base");

  /**
   * One phase of training.
   *
   * @param block M, tokens per sample
   * @param memLen L, the cache length
   * @param batchPerGpu {@code --batch-size}
   * @param updateFreq {@code --update-freq}
   * @param updates {@code --max-update}
   * @param dropout {@code --dropout}, also {@code --emb-dropout}
   * @param optimizer lr, warm-up, weight decay; {@code totalSteps} = updates, schedule constant
   */
  @JsonPropertyOrder({"block", "memLen", "batchPerGpu", "updateFreq", "updates", "dropout", "optimizer"})
  public record Phase(
      @JsonProperty(value = "block", required = true) int block,
      @JsonProperty(value = "memLen", required = true) int memLen,
      @JsonProperty(value = "batchPerGpu", required = true) int batchPerGpu,
      @JsonProperty(value = "updateFreq", required = true) int updateFreq,
      @JsonProperty(value = "updates", required = true) long updates,
      @JsonProperty(value = "dropout", required = true) double dropout,
      @JsonProperty(value = "optimizer", required = true) OptimizerSpec optimizer) {
    public Phase {
      check(block >= 1, "phase block (" + block + ") must be >= 1");
      check(batchPerGpu >= 1, "phase batchPerGpu (" + batchPerGpu + ") must be >= 1");
      check(updateFreq >= 1, "phase updateFreq (" + updateFreq + ") must be >= 1");
      check(updates >= 1, "phase updates (" + updates + ") must be >= 1");
      check(optimizer != null, "phase optimizer is required");
      check(optimizer.clipNorm() == 0, "phase optimizer clipNorm (" + optimizer.clipNorm()
          + ") must be 0: the authors' LM runs clip nothing");
    }

    /** Sequences per update over all GPUs: batchPerGpu x gpus x updateFreq. */
    public int globalBatch(int gpus) {
      return batchPerGpu * gpus * updateFreq;
    }
  }

  public TransformerLsSetting {
    check(name != null && !name.isBlank(), "name is required");
    check(model != null, "model is required");
    check(gpus >= 1, "gpus (" + gpus + ") must be >= 1");
    check(phases != null && !phases.isEmpty(), "phases must list at least one phase");
    phases = List.copyOf(phases);
    for (Phase p : phases) {
      // the model of every phase must build: a bad block or cache length fails here, by name
      modelOf(model, p).paddedBlock(p.block());
    }
  }

  /** The model of phase {@code i}: the setting's, with the phase's mem_len and dropout. */
  public TransformerLsSpec model(int i) {
    return modelOf(model, phases.get(i));
  }

  private static TransformerLsSpec modelOf(TransformerLsSpec model, Phase p) {
    return model.toBuilder().setMemLen(p.memLen()).optDropout(p.dropout()).optEmbDropout(p.dropout()).build();
  }

  /** A shipped setting by name, or a JSON file by path. */
  public static TransformerLsSetting load(String nameOrFile) throws IOException {
    if (SHIPPED.contains(nameOrFile)) {
      try (InputStream in = TransformerLsSetting.class.getResourceAsStream("/configs/lm/" + nameOrFile + ".json")) {
        if (in == null) {
          throw new IllegalStateException("shipped setting " + nameOrFile + " is missing from the jar");
        }
        return parseJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("setting (\"" + nameOrFile + "\") is neither a shipped LM setting ("
          + String.join(", ", SHIPPED) + ") nor a JSON file");
    }
    return parseJson(TextFiles.read(file, "LM setting"));
  }

  public String toJson() {
    return Json.write(this);
  }

  public static TransformerLsSetting parseJson(String json) {
    return Json.read(json, TransformerLsSetting.class);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("TransformerLsSetting: " + message);
    }
  }
}
