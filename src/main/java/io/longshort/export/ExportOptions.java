package io.longshort.export;

/**
 * How the served functions of a SavedModel compute.
 *
 * @param xla every signature calls a function that XLA must compile ({@code _XlaMustCompile}, as
 *     {@code tf.function(jit_compile=True)} exports do; {@link CompiledSignatures}); for
 *     {@code generate} the loop's step is compiled, the While loop around it is not
 * @param bf16 the model computes in bfloat16 from float32 variables (a graph built with
 *     {@code ModelGraph.builder(spec).setDtype(TBfloat16.class).optVariableDtype(TFloat32.class)}); inputs, outputs
 *     and the checkpoint stay float32 (logits are widened before softmax)
 */
public record ExportOptions(boolean xla, boolean bf16) {
  /** TensorFlow's kernels, in the model's own dtype. */
  public static final ExportOptions PLAIN = new ExportOptions(false, false);

  /** "plain", "xla", "bf16" or "xla+bf16", for messages. */
  public String describe() {
    return xla && bf16 ? "xla+bf16" : xla ? "xla" : bf16 ? "bf16" : "plain";
  }
}
