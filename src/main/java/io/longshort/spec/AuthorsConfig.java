package io.longshort.spec;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads the run configuration of the authors' LRA code (their own argument names:
 * {@code transformer_dim}, {@code num_head}, {@code head_dim}, {@code window_size},
 * {@code num_landmarks}, {@code pooling_mode}, ...) into our specs.
 */
public final class AuthorsConfig {
  private AuthorsConfig() {}

  /**
   * Why no configuration of the authors' Performer ({@code attn_type} "performer",
   * lra/attention_performer.py) imports: in none of them does our Performer compute theirs.
   */
  static final String PERFORMER_DIFFERS = "authors' config: attn_type \"performer\" cannot be imported: our"
      + " Performer does not compute theirs. Their PerformerAttention names kernel \"relu\" but builds"
      + " performer_pytorch's FastAttention without generalized_attention, which runs FAVOR+ softmax features"
      + " (our feature_map softmax, not relu), on Q and K already divided by head_dim^1/4 that FastAttention"
      + " scales by head_dim^-1/4 again (it estimates softmax(Q K^T / head_dim); ours softmax(Q K^T /"
      + " sqrt(head_dim))); their padded keys are zeroed before the features, which leaves them a share of the"
      + " normaliser (ours none); and their random projection (rp_dim x head_dim) is performer_pytorch's"
      + " buffer (unpinned version; some redraw it on every call), ours is drawn from a seed. Train our"
      + " Performer instead (train --attention performer).";

  /**
   * The {@code AttentionLS} layer such a config builds.
   *
   * @param clsInput whether the layer gets a separate CLS vector ({@code cls_embed}, as the last
   *     layer with {@code cls_last_layer})
   */
  public static AttentionSpec attentionSpec(JsonNode config, boolean clsInput) {
    int width = requiredInt(config, "transformer_dim");
    int heads = requiredInt(config, "num_head");
    int headDim = requiredInt(config, "head_dim");
    if (heads * headDim != width) {
      throw new IllegalArgumentException("authors' config: num_head (" + heads + ") x head_dim ("
          + headDim + ") = " + heads * headDim + " must equal transformer_dim (" + width
          + "); their W_o maps transformer_dim to num_head x head_dim");
    }
    String attnType = config.path("attn_type").asText("lsta");
    if (!attnType.equals("lsta")) {
      throw new IllegalArgumentException("authors' config: attn_type (\"" + attnType
          + "\") is not supported here; only \"lsta\" (long-short attention) maps to AttentionLS");
    }
    int conv = config.path("conv_kernel_size").asInt(-1);
    if (conv > 0) {
      throw new IllegalArgumentException("authors' config: conv_kernel_size (" + conv
          + ") > 0 adds a depth-wise convolution that is not supported; use -1");
    }
    String pooling = config.path("pooling_mode").asText("MEAN");
    GlobalToken token = GlobalToken.NONE;
    if (pooling.equalsIgnoreCase("CLS")) {
      token = GlobalToken.FIRST_ROW;
    } else if (!pooling.equalsIgnoreCase("MEAN")) {
      throw new IllegalArgumentException("authors' config: pooling_mode (\"" + pooling
          + "\") must be \"MEAN\" or \"CLS\"");
    }
    if (clsInput) {
      if (token == GlobalToken.FIRST_ROW) {
        throw new IllegalArgumentException("authors' config: pooling_mode \"CLS\" takes the CLS token"
            + " from the sequence; it cannot also take a separate cls_embed");
      }
      token = GlobalToken.INPUT;
    }
    return AttentionSpec.longShort()
        .setWidth(width)
        .setHeads(heads)
        .setWindow(requiredInt(config, "window_size"))
        .setRank(requiredInt(config, "num_landmarks"))
        .optGlobalToken(token)
        .build();
  }

  /**
   * The inner attention of the authors' {@code Attention} wrapper for attn_type "linformer"
   * (linformer_k, max_seq_len) or "nystrom" (num_landmarks, inv_coeff_init_option), with their
   * optional conv_kernel_size.
   */
  public static AttentionSpec baselineSpec(JsonNode config) {
    int width = requiredInt(config, "transformer_dim");
    int heads = requiredInt(config, "num_head");
    int headDim = requiredInt(config, "head_dim");
    if (heads * headDim != width) {
      throw new IllegalArgumentException("authors' config: num_head (" + heads + ") x head_dim ("
          + headDim + ") = " + heads * headDim + " must equal transformer_dim (" + width + ")");
    }
    String attnType = config.path("attn_type").asText("");
    int conv = Math.max(config.path("conv_kernel_size").asInt(-1), 0);
    return switch (attnType) {
      case "linformer" -> AttentionSpec.linformer().setWidth(width).setHeads(heads)
          .setRank(requiredInt(config, "linformer_k")).optMaxLength(requiredInt(config, "max_seq_len"))
          .optConvKernel(conv).build();
      case "nystrom" -> AttentionSpec.nystrom().setWidth(width).setHeads(heads)
          .setLandmarks(requiredInt(config, "num_landmarks")).optConvKernel(conv)
          .optInverseStart(config.path("inv_coeff_init_option").asText("original").equals("original")
              ? PseudoInverseStart.BATCH : PseudoInverseStart.ROW)
          .build();
      default -> throw new IllegalArgumentException("authors' config: attn_type (\"" + attnType
          + "\") must be \"linformer\" or \"nystrom\" here");
    };
  }

  /**
   * The model the authors' {@code ModelForSC} ({@link Task#CLASSIFIER}) or {@code ModelForSCDual}
   * ({@link Task#RETRIEVAL}) builds from this config, with the same parameter names.
   *
   * @param module the reference class, e.g. "ModelForSC" or "lra/model_wrapper.py:ModelForSCDual"
   */
  public static ModelSpec modelSpec(JsonNode config, String module) {
    String cls = module.substring(module.lastIndexOf(':') + 1).trim();
    ModelSpec.Builder b = switch (cls) {
      case "ModelForSC" -> ModelSpec.classifier();
      case "ModelForSCDual" -> ModelSpec.retrieval();
      default -> throw new IllegalArgumentException("authors' module (\"" + module
          + "\") must be ModelForSC (classifier) or ModelForSCDual (two-tower retrieval)");
    };
    int width = requiredInt(config, "transformer_dim");
    int embedding = config.path("embedding_dim").asInt(width);
    if (embedding != width) {
      throw new IllegalArgumentException("authors' config: embedding_dim (" + embedding
          + ") must equal transformer_dim (" + width + "), as their Embeddings assert");
    }
    boolean clsLastLayer = config.path("cls_last_layer").asBoolean(false);
    boolean clsToken = config.path("cls_token").asBoolean(false);
    String poolingMode = config.path("pooling_mode").asText("MEAN");
    Pooling pooling;
    if (clsLastLayer && clsToken) {
      throw new IllegalArgumentException("authors' config: cls_last_layer and cls_token are both true; "
          + "their Model uses one learned CLS vector for one of the two");
    } else if (clsLastLayer || clsToken) {
      if (poolingMode.equalsIgnoreCase("CLS")) {
        throw new IllegalArgumentException("authors' config: pooling_mode \"CLS\" with "
            + (clsLastLayer ? "cls_last_layer" : "cls_token") + " = true is not supported (their code "
            + "asserts against it for ModelForSC)");
      }
      pooling = clsLastLayer ? Pooling.CLS_LAST_LAYER : Pooling.CLS_TOKEN;
    } else if (poolingMode.equalsIgnoreCase("CLS")) {
      pooling = Pooling.CLS;
    } else if (poolingMode.equalsIgnoreCase("MEAN")) {
      pooling = Pooling.MEAN;
    } else {
      throw new IllegalArgumentException("authors' config: pooling_mode (\"" + poolingMode
          + "\") must be \"MEAN\" or \"CLS\"");
    }
    String attnType = config.path("attn_type").asText("lsta");
    if (attnType.startsWith("performer")) {
      throw new IllegalArgumentException(PERFORMER_DIFFERS);
    }
    AttentionSpec attention = switch (attnType) {
      case "lsta" -> attentionSpec(config, false).toBuilder().optGlobalToken(GlobalToken.NONE).build();
      case "softmax" -> AttentionSpec.full().setWidth(width).setHeads(requiredInt(config, "num_head")).build();
      case "linformer", "nystrom" -> baselineSpec(config);
      default -> throw new IllegalArgumentException("authors' config: attn_type (\"" + attnType
          + "\") must be \"lsta\" (long-short), \"softmax\" (full attention), \"linformer\" or \"nystrom\"");
    };
    return b.setVocabSize(requiredInt(config, "vocab_size"))
        .setMaxLength(requiredInt(config, "max_seq_len"))
        .setWidth(width)
        .setLayers(requiredInt(config, "num_layers"))
        .setHiddenWidth(requiredInt(config, "transformer_hidden_dim"))
        .setAttention(attention)
        .setClasses(requiredInt(config, "num_classes"))
        .optPooling(pooling)
        // learn_pos_emb is parsed by run_tasks.py but read by nothing: Embeddings.forward (lra/model.py)
        // always adds the learned position table, so learn_pos_emb = 0 computes learned positions too
        .optPositions(Positions.LEARNED)
        .optTiedLayers(config.path("tied_weights").asBoolean(false))
        .optDropout(config.path("dropout_prob").asDouble(0.0))
        .build();
  }

  /**
   * Our parameter name -> the authors' state_dict name. They match except for the output
   * projection of their softmax (full) attention, which they call {@code ff}.
   */
  public static java.util.function.UnaryOperator<String> stateDictNames(ModelSpec spec) {
    return name -> {
      for (int i = 0; i < spec.layers(); i++) {
        String block = spec.tiedLayers() ? "model.transformer." : "model.transformer_" + i + ".";
        if (name.startsWith(block + "mha.W_o.") && !spec.attentionFor(i).kind().isLongShort()) {
          return block + "mha.ff." + name.substring((block + "mha.W_o.").length());
        }
      }
      return name;
    };
  }

  static int requiredInt(JsonNode config, String key) {
    JsonNode v = config.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException("authors' config: " + key + " is missing or not an integer"
          + (v == null ? "" : " (" + v + ")"));
    }
    return v.asInt();
  }
}
