package io.longshort.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
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
 * first global token (or, when the last stage has none, the mean over its patches). Images are
 * square, {@code imageSize} pixels per side with {@code channels} channels, NHWC.
 *
 * <p>Letters: S image side, C channels, X the patch grid side of a stage, D a stage's width.
 */
@JsonPropertyOrder({"imageSize", "channels", "classes", "mlpRatio", "layerNormEpsilon", "stages"})
public record VisionSpec(
    @JsonProperty("imageSize") int imageSize,
    @JsonProperty("channels") int channels,
    @JsonProperty("classes") int classes,
    @JsonProperty("mlpRatio") double mlpRatio,
    @JsonProperty("layerNormEpsilon") double layerNormEpsilon,
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
      @JsonProperty(value = "stages", required = true) List<VisionStage> stages) {
    this(imageSize, channels == null ? 3 : channels.intValue(), classes, mlpRatio == null ? 4.0 : mlpRatio.doubleValue(),
        layerNormEpsilon == null ? DEFAULT_LAYER_NORM_EPSILON : layerNormEpsilon.doubleValue(),
        stages);
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
      check(hiddenWidth(st.width(), mlpRatio) >= 1, "mlpRatio (" + mlpRatio + ") leaves stages[" + i
          + "] an MLP of width 0");
    }
  }

  /** The shipped configurations (src/main/resources/configs). */
  public static final List<String> SHIPPED = List.of("vil_ls_medium", "vil_ls_base", "vil_ls_tiny");

  /** A shipped config by name, or a VisionSpec JSON file by path. */
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
      return parseJson(TextFiles.read(file, "vision model file"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
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

  /** Whether the head reads the first global token (else the mean over the last stage's patches). */
  public boolean poolsGlobalToken() {
    return stages.get(stages.size() - 1).globalTokens() > 0;
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
