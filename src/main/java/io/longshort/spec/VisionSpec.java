package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.longshort.io.TextFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A multi-stage image classifier in the style of the authors' ViL-LS models (their {@code MsViT}):
 * stages of patch embedding and 2-D attention blocks, a final LayerNorm and a linear head on the
 * first global token (or, when the last stage has none or {@code avgPool} is set, the mean over all
 * the last stage's tokens). Images are square, {@code imageSize} pixels per side with
 * {@code channels} channels, NHWC. The authors' own {@code arch} strings and constructor arguments
 * read through {@link MsVitArch}.
 *
 * <p>Letters: S image side, C channels, X the patch grid side of a stage, D a stage's width.
 */
@JsonPropertyOrder({"imageSize", "channels", "classes", "mlpRatio", "layerNormEpsilon", "avgPool", "stages"})
public record VisionSpec(
    @JsonProperty("imageSize") int imageSize,
    @JsonProperty("channels") int channels,
    @JsonProperty("classes") int classes,
    @JsonProperty("mlpRatio") double mlpRatio,
    @JsonProperty("layerNormEpsilon") double layerNormEpsilon,
    // written only when set, so that the JSON of a spec without it (run metadata) stays as it was
    @JsonProperty("avgPool") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean avgPool,
    @JsonProperty("stages") List<VisionStage> stages) {

  /** The authors' MsViT LayerNorms (blocks, patch embedding, final norm): eps 1e-6. */
  public static final double DEFAULT_LAYER_NORM_EPSILON = 1e-6;

  @JsonCreator
  public VisionSpec(
      @JsonProperty(value = "imageSize", required = true) int imageSize,
      @JsonProperty("channels") Integer channels,
      @JsonProperty(value = "classes", required = true) int classes,
      @JsonProperty("mlpRatio") Double mlpRatio,
      @JsonProperty("layerNormEpsilon") Double layerNormEpsilon,
      @JsonProperty("avgPool") Boolean avgPool,
      @JsonProperty(value = "stages", required = true) List<VisionStage> stages) {
    this(imageSize, channels == null ? 3 : channels.intValue(), classes, mlpRatio == null ? 4.0 : mlpRatio.doubleValue(),
        layerNormEpsilon == null ? DEFAULT_LAYER_NORM_EPSILON : layerNormEpsilon.doubleValue(),
        avgPool != null && avgPool, stages);
  }

  /** A classifier that reads the first global token where the last stage has one (avgPool false). */
  public VisionSpec(int imageSize, int channels, int classes, double mlpRatio, double layerNormEpsilon,
      List<VisionStage> stages) {
    this(imageSize, channels, classes, mlpRatio, layerNormEpsilon, false, stages);
  }

  public VisionSpec {
    check(imageSize >= 1, "imageSize (" + imageSize + ") must be >= 1");
    check(channels >= 1, "channels (" + channels + ") must be >= 1");
    check(classes >= 2, "classes (" + classes + ") must be >= 2");
    check(mlpRatio > 0 && Double.isFinite(mlpRatio), "mlpRatio (" + mlpRatio + ") must be a finite number > 0");
    check(layerNormEpsilon > 0 && Double.isFinite(layerNormEpsilon),
        "layerNormEpsilon (" + layerNormEpsilon + ") must be a finite number > 0");
    check(stages != null && !stages.isEmpty(), "stages must list at least one stage");
    stages = List.copyOf(stages);
    int side = imageSize;
    for (int i = 0; i < stages.size(); i++) {
      VisionStage st = stages.get(i);
      check(side / st.patchSize() >= 1, "stages[" + i + "].patchSize (" + st.patchSize() + ") is larger than"
          + " the " + side + " x " + side + " grid it cuts; the image or the patch sizes must change");
      side /= st.patchSize();
      // ViL's absolute positions are x_pos_embed and y_pos_embed of D/2 each, concatenated
      check(!st.absolutePositions() || st.width() % 2 == 0, "stages[" + i + "].absolutePositions needs an even"
          + " width (" + st.width() + "): x and y position embeddings of width/2 each make up a token");
      check(hiddenWidth(st.width(), mlpRatio) >= 1, "mlpRatio (" + mlpRatio + ") leaves stages[" + i
          + "] an MLP of width 0");
    }
  }

  /** The shipped configurations (src/main/resources/configs). */
  public static final List<String> SHIPPED = List.of("vil_ls_medium", "vil_ls_base", "vil_ls_tiny",
      "vil_ls_medium_384");

  /**
   * A shipped config by name, or a JSON file by path: a VisionSpec, or the authors' MsViT arguments
   * (an object with their {@code arch} string, {@code img_size}, {@code num_classes}, ...; read by
   * {@link MsVitArch#fromAuthorsConfig}).
   */
  public static VisionSpec load(String nameOrFile) throws IOException {
    if (SHIPPED.contains(nameOrFile)) {
      try (InputStream in = VisionSpec.class.getResourceAsStream("/configs/" + nameOrFile + ".json")) {
        if (in == null) {
          throw new IllegalStateException("shipped config " + nameOrFile + " is missing from the jar");
        }
        return parseJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("vision model (\"" + nameOrFile + "\") is neither a shipped config ("
          + String.join(", ", SHIPPED) + ") nor a JSON file");
    }
    try {
      String json = TextFiles.read(file, "vision model file");
      return isAuthorsConfig(json) ? MsVitArch.fromAuthorsConfig(Json.MAPPER.readTree(json)) : parseJson(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code json} is an object naming the authors' {@code arch} (a VisionSpec has no such field). */
  private static boolean isAuthorsConfig(String json) {
    try {
      return Json.MAPPER.readTree(json) instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.has("arch");
    } catch (IOException e) {
      return false; // not JSON: parseJson says where
    }
  }

  /** X of stage i: the image side divided by every patch size so far (remainders dropped, as a strided conv). */
  public int gridSide(int stage) {
    int side = imageSize;
    for (int i = 0; i <= stage; i++) {
      side /= stages.get(i).patchSize();
    }
    return side;
  }

  /** Input width of stage i's patch embedding: the channels, or the previous stage's width. */
  public int inputWidth(int stage) {
    return stage == 0 ? channels : stages.get(stage - 1).width();
  }

  /** The MLP's hidden width for a stage of width d: int(d * mlpRatio), as the authors. */
  public static int hiddenWidth(int d, double mlpRatio) {
    return (int) (d * mlpRatio);
  }

  /** The width of the features the head sees. */
  public int outputWidth() {
    return stages.get(stages.size() - 1).width();
  }

  /**
   * Whether the head reads the first global token; else the mean over all the last stage's tokens
   * (its global ones included), as MsViT with {@code g0} in its last stage or {@code avg_pool}.
   */
  public boolean poolsGlobalToken() {
    return stages.get(stages.size() - 1).globalTokens() > 0 && !avgPool;
  }

  public String toJson() {
    return Json.write(this);
  }

  public static VisionSpec parseJson(String json) {
    return Json.read(json, VisionSpec.class);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("VisionSpec: " + message);
    }
  }
}
