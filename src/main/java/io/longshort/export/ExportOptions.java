package io.longshort.export;

import java.util.List;

/**
 * How the served functions of a SavedModel compute, and what its text signatures call things.
 *
 * @param xla every signature calls a function that XLA must compile ({@code _XlaMustCompile}, as
 *     {@code tf.function(jit_compile=True)} exports do; {@link CompiledSignatures}); for
 *     {@code generate} the loop's step is compiled, the While loop around it is not
 * @param bf16 the model computes in bfloat16 from float32 variables (a graph built with
 *     {@code ModelGraph.builder(spec).setDtype(TBfloat16.class).optVariableDtype(TFloat32.class)}); inputs, outputs
 *     and the checkpoint stay float32 (logits are widened before softmax)
 * @param labels the class names of a classifier (class id = position), what the text signatures
 *     answer as {@code classes} and the SavedModel's {@code assets/labels.txt} lists; null: the
 *     class ids as strings ("0", "1", ...)
 * @param textFeature the tf.Example feature the {@code classify} signature reads the text from
 *     (retrieval: {@code <feature>_0} and {@code <feature>_1})
 */
public record ExportOptions(boolean xla, boolean bf16, List<String> labels, String textFeature) {
  /** The tf.Example feature {@code classify} reads unless told otherwise. */
  public static final String DEFAULT_TEXT_FEATURE = "text";
  /** TensorFlow's kernels, in the model's own dtype. */
  public static final ExportOptions PLAIN = new ExportOptions(false, false);

  public ExportOptions {
    labels = labels == null ? null : List.copyOf(labels);
    if (textFeature == null || textFeature.isEmpty()) {
      throw new IllegalArgumentException("text feature: a tf.Example feature name is required (default '"
          + DEFAULT_TEXT_FEATURE + "')");
    }
  }

  public ExportOptions(boolean xla, boolean bf16) {
    this(xla, bf16, null, DEFAULT_TEXT_FEATURE);
  }

  /** These options with the classifier's label names (null: class ids as strings). */
  public ExportOptions withLabels(List<String> names) {
    return new ExportOptions(xla, bf16, names, textFeature);
  }

  /** These options with {@code classify} reading tf.Example feature {@code feature}. */
  public ExportOptions withTextFeature(String feature) {
    return new ExportOptions(xla, bf16, labels, feature);
  }

  /** "plain", "xla", "bf16" or "xla+bf16", for messages. */
  public String describe() {
    return xla && bf16 ? "xla+bf16" : xla ? "xla" : bf16 ? "bf16" : "plain";
  }
}
