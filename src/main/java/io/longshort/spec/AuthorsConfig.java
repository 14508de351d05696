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

  static int requiredInt(JsonNode config, String key) {
    JsonNode v = config.get(key);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException("authors' config: " + key + " is missing or not an integer"
          + (v == null ? "" : " (" + v + ")"));
    }
    return v.asInt();
  }
}
