package io.longshort.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the authors' ImageNet model descriptions ({@code imagenet/models/msvit.py}) into a
 * {@link VisionSpec}: their {@code arch} strings as their launch scripts write them, e.g.
 * {@code "l1,h3,d96,n1,s1,g1,p4,f7,a0,r8_l2,h3,d192,n4,s1,g1,p2,f7,a0,r8_..."}, and the constructor
 * arguments {@code MsViT} takes ({@code img_size}, {@code num_classes}, {@code avg_pool},
 * {@code attn_type}, ...).
 *
 * <p>The string lists stages joined by {@code _}, each a comma list of a letter and an integer:
 * {@code l} stage number (1, 2, ...), {@code h} heads, {@code d} width, {@code n} blocks,
 * {@code s} 1 the config's {@code attn_type} / 0 full attention, {@code g} global tokens,
 * {@code p} patch size, {@code f} window, {@code a} 1 absolute position embeddings / 0 relative
 * position biases in the attention, {@code r} dynamic-projection rank. A letter left out takes
 * {@code parse_arch}'s default: l1, h3, d192, n1, s1, g1, p2, f7, a1, r0.
 *
 * <p>What MsViT does that is easy to miss, and this reading follows: {@code rpe = not ape}, for
 * full-attention stages too; once a stage says {@code s0}, every later stage is full attention
 * as well ({@code _make_layer} overwrites the shared {@code attn_args['attn_type']}); its
 * {@code ln_eps} argument sets a field no layer reads, so every LayerNorm outside the attention
 * has eps 1e-6 (the default {@code norm_layer}) whatever it says; the MLP ratio is 4.
 */
public final class MsVitArch {
  /** parse_arch's defaults, in its order. */
  private static final Map<Character, Integer> DEFAULTS = defaults();

  /** The LayerNorm eps every MsViT LayerNorm outside the attention gets (its default norm_layer). */
  public static final double LAYER_NORM_EPSILON = 1e-6;

  private MsVitArch() {}

  /**
   * The model the authors' launch scripts build from {@code arch}: {@code config/msvit.yaml} and
   * the scripts' {@code MODEL.VIT.MSVIT.ATTN_TYPE ls} (long-short attention where {@code s1},
   * {@code norm_embed} true, no {@code avg_pool}), for {@code imageSize} x {@code imageSize} RGB
   * images and {@code classes} classes.
   */
  public static VisionSpec parse(String arch, int imageSize, int classes) {
    return new VisionSpec(imageSize, 3, classes, 4.0, LAYER_NORM_EPSILON, false, stages(arch, "ls"));
  }

  /**
   * The model {@code MsViT(**config)} builds, from its constructor arguments as JSON (the golden
   * files' {@code config}): {@code arch} is required, every other argument takes MsViT's default
   * when left out ({@code img_size} 512, {@code in_chans} 3, {@code num_classes} 1000,
   * {@code norm_embed} false, {@code avg_pool} false, {@code attn_type} "longformerhand",
   * {@code qkv_bias} true). Dropout and drop-path rates do not change what the model computes in
   * evaluation and are accepted as they are, as are the arguments MsViT passes to no layer that
   * "ls" and "full" attention build ({@code w}, {@code d}, {@code sharew}, {@code share_kv},
   * {@code only_glo}, {@code sw_exact}, {@code mode}, {@code ln_eps}); what we cannot build is
   * refused with the argument named.
   */
  public static VisionSpec fromAuthorsConfig(JsonNode config) {
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("MsViT config: expected a JSON object of MsViT's arguments, got "
          + (config == null ? "nothing" : config.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    JsonNode arch = config.get("arch");
    if (arch == null || !arch.isTextual()) {
      throw new IllegalArgumentException("MsViT config: arch is required: the authors' stage string, e.g."
          + " \"l1,h3,d96,n1,s1,g1,p4,f7,a0,r8_l2,...\"");
    }
    int imageSize = intArg(config, "img_size", 512);
    int channels = intArg(config, "in_chans", 3);
    int classes = intArg(config, "num_classes", 1000);
    if (classes < 2) {
      throw new IllegalArgumentException("MsViT config: num_classes (" + classes + ") must be >= 2: with 0 MsViT"
          + " has no head (features only), which is not a classifier");
    }
    if (!boolArg(config, "norm_embed", false)) {
      throw new IllegalArgumentException("MsViT config: norm_embed (false) is not supported: our patch embedding"
          + " always has its LayerNorm, as the authors' config/msvit.yaml (NORM_EMBED True) builds it");
    }
    if (!boolArg(config, "qkv_bias", true)) {
      throw new IllegalArgumentException("MsViT config: qkv_bias (false) is not supported: our qkv projection"
          + " has a bias, as MsViT's default");
    }
    JsonNode scale = config.get("qk_scale");
    if (scale != null && !scale.isNull()) {
      throw new IllegalArgumentException("MsViT config: qk_scale (" + scale + ") is not supported: queries scale"
          + " by 1/sqrt(head width) (null, MsViT's default)");
    }
    String attnType = textArg(config, "attn_type", "longformerhand");
    boolean avgPool = boolArg(config, "avg_pool", false);
    return new VisionSpec(imageSize, channels, classes, 4.0, LAYER_NORM_EPSILON, avgPool,
        stages(arch.asText(), attnType));
  }

  /**
   * The stages of an arch string; {@code attnType} is what {@code s1} stages get: "ls" (long-short)
   * or "full".
   */
  public static List<VisionStage> stages(String arch, String attnType) {
    if (!attnType.equals("ls") && !attnType.equals("full")) {
      // only refused when a stage would use it: an all-s0 arch builds full attention whatever it says
      if (parseAll(arch).stream().anyMatch(cfg -> cfg.get('s') != 0)) {
        throw new IllegalArgumentException("MsViT config: attn_type (\"" + attnType + "\") is not supported;"
            + " stages with s1 take \"ls\" (long-short attention) or \"full\"");
      }
    }
    List<Map<Character, Integer>> cfgs = parseAll(arch);
    if (cfgs.size() != 3 && cfgs.size() != 4) {
      throw new IllegalArgumentException("MsViT arch (\"" + arch + "\"): " + cfgs.size() + " stages; MsViT builds"
          + " 3 or 4");
    }
    List<VisionStage> stages = new ArrayList<>();
    boolean full = attnType.equals("full");
    for (int i = 0; i < cfgs.size(); i++) {
      Map<Character, Integer> c = cfgs.get(i);
      String where = "MsViT arch (\"" + arch + "\") stage " + (i + 1) + ": ";
      if (c.get('l') != i + 1) {
        throw new IllegalArgumentException(where + "l" + c.get('l') + " must be l" + (i + 1)
            + ": MsViT asserts each stage's number");
      }
      full |= c.get('s') == 0;
      boolean ape = switch (c.get('a')) {
        case 0 -> false;
        case 1 -> true;
        default -> throw new IllegalArgumentException(where + "a" + c.get('a') + " must be a0 (relative position"
            + " biases) or a1 (absolute position embeddings)");
      };
      if (!full && c.get('g') > 1) {
        throw new IllegalArgumentException(where + "g" + c.get('g') + ": their AttentionLS takes at most one global"
            + " token (it multiplies the global attention weights into the values elementwise); use g0 or g1, or s0");
      }
      ImageAttentionSpec.Builder b = full ? ImageAttentionSpec.full()
          : ImageAttentionSpec.longShort().setWindow(c.get('f')).setRank(c.get('r'));
      ImageAttentionSpec attention;
      try {
        attention = b.setWidth(c.get('d')).setHeads(c.get('h')).optGlobalTokens(c.get('g'))
            .optRelativePositions(!ape).build();
        stages.add(new VisionStage(c.get('p'), c.get('n'), ape, attention));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + e.getMessage(), e);
      }
    }
    return stages;
  }

  /** parse_arch: every stage's letters over the defaults. */
  private static List<Map<Character, Integer>> parseAll(String arch) {
    if (arch.isEmpty()) {
      throw new IllegalArgumentException("MsViT arch is empty; expected stages such as \"l1,h3,d96,n1,s1,g1,p4,f7,"
          + "a0,r8_l2,...\"");
    }
    List<Map<Character, Integer>> out = new ArrayList<>();
    String[] layers = arch.split("_", -1);
    for (int i = 0; i < layers.length; i++) {
      Map<Character, Integer> cfg = new LinkedHashMap<>(DEFAULTS);
      for (String attr : layers[i].split(",", -1)) {
        String where = "MsViT arch (\"" + arch + "\") stage " + (i + 1) + ": \"" + attr + "\"";
        if (attr.length() < 2 || !DEFAULTS.containsKey(attr.charAt(0))) {
          throw new IllegalArgumentException(where + " is not a letter of " + DEFAULTS.keySet()
              + " followed by an integer");
        }
        int value;
        try {
          value = Integer.parseInt(attr.substring(1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(where + ": \"" + attr.substring(1) + "\" is not an integer");
        }
        if (value < 0) {
          throw new IllegalArgumentException(where + ": must be >= 0");
        }
        cfg.put(attr.charAt(0), value);
      }
      out.add(cfg);
    }
    return out;
  }

  private static Map<Character, Integer> defaults() {
    Map<Character, Integer> d = new LinkedHashMap<>();
    d.put('l', 1);
    d.put('h', 3);
    d.put('d', 192);
    d.put('n', 1);
    d.put('s', 1);
    d.put('g', 1);
    d.put('p', 2);
    d.put('f', 7);
    d.put('a', 1);
    d.put('r', 0);
    return java.util.Collections.unmodifiableMap(d);
  }

  private static int intArg(JsonNode config, String name, int fallback) {
    JsonNode v = config.get(name);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("MsViT config: " + name + " (" + v + ") must be an integer");
    }
    return v.intValue();
  }

  private static boolean boolArg(JsonNode config, String name, boolean fallback) {
    JsonNode v = config.get(name);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isBoolean()) {
      throw new IllegalArgumentException("MsViT config: " + name + " (" + v + ") must be true or false");
    }
    return v.booleanValue();
  }

  private static String textArg(JsonNode config, String name, String fallback) {
    JsonNode v = config.get(name);
    if (v == null || v.isNull()) {
      return fallback;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException("MsViT config: " + name + " (" + v + ") must be a string");
    }
    return v.asText();
  }
}
