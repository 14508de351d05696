package io.longshort.bench;

import io.longshort.spec.AttentionSpec;

/**
 * What one child process measures.
 *
 * @param workload {@link #LAYER} (forward, then forward + backward), {@link #PROBE} (forward +
 *     backward once, for the memory search), {@link #MODEL} (a whole training step) or
 *     {@link #MATMUL} (the reference line; n is the matrix side)
 * @param attention the layer (ignored for matmul)
 * @param n sequence length, or the matrix side
 */
public record BenchCase(String workload, AttentionSpec attention, int batch, int n, boolean xla, int reps,
    int warmup) {
  public static final String LAYER = "layer";
  public static final String PROBE = "probe";
  public static final String MODEL = "model";
  public static final String MATMUL = "matmul";

  public String label() {
    String what = workload.equals(MATMUL) ? "matmul" : attention.kind().jsonName();
    return what + (xla ? " xla" : " plain") + " N=" + n;
  }
}
