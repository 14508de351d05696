package io.longshort.bench;

import io.longshort.spec.AttentionDefaults;
import io.longshort.spec.AttentionKind;
import io.longshort.spec.AttentionSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * What a benchmark run measures. Defaults: the layer (batch 1, width 256, 4 heads, window
 * 128, rank 64), N = 1K..16K, 16 GiB budget.
 *
 * @param lengths the table's sequence lengths, increasing
 * @param memoryBudgetBytes a process passing this resident size is stopped (the search for the
 *     longest N ends there)
 * @param maxLength the search for the longest N stops here even within the budget
 * @param modelKinds the kinds whose whole 2-block model's training step is also timed at each length
 *     (none: no model steps)
 * @param matmulSide side of the square reference matrix product
 * @param kinds the attention kinds measured, one line each on the plots: long_short with window and
 *     rank, the others at width and heads with {@link AttentionDefaults}
 */
public record BenchSettings(int batch, int width, int heads, int window, int rank, List<Integer> lengths,
    int reps, int warmup, long memoryBudgetBytes, int maxLength, List<AttentionKind> modelKinds, boolean xla,
    int matmulSide, Path output, List<AttentionKind> kinds) {

  /** Long-short against full attention, the default comparison. */
  public static final List<AttentionKind> DEFAULT_KINDS = List.of(AttentionKind.LONG_SHORT, AttentionKind.FULL);

  /** The default kinds, with model steps for all of them or none. */
  public BenchSettings(int batch, int width, int heads, int window, int rank, List<Integer> lengths,
      int reps, int warmup, long memoryBudgetBytes, int maxLength, boolean modelSteps, boolean xla, int matmulSide,
      Path output) {
    this(batch, width, heads, window, rank, lengths, reps, warmup, memoryBudgetBytes, maxLength,
        modelSteps ? DEFAULT_KINDS : List.of(), xla, matmulSide, output, DEFAULT_KINDS);
  }

  public BenchSettings {
    positive("batch", batch);
    positive("width", width);
    positive("heads", heads);
    positive("reps", reps);
    positive("matmul-side", matmulSide);
    if (window < 0 || rank < 0) {
      throw new IllegalArgumentException("window and rank must be >= 0, got window " + window + ", rank " + rank);
    }
    if (warmup < 1) {
      throw new IllegalArgumentException("warmup must be >= 1 (the first run compiles), got " + warmup);
    }
    if (lengths == null || lengths.isEmpty()) {
      throw new IllegalArgumentException("lengths must name at least one sequence length");
    }
    for (int i = 0; i < lengths.size(); i++) {
      positive("lengths[" + i + "]", lengths.get(i));
      if (i > 0 && lengths.get(i) <= lengths.get(i - 1)) {
        throw new IllegalArgumentException("lengths must increase, got " + lengths);
      }
    }
    if (memoryBudgetBytes < (1L << 28)) {
      throw new IllegalArgumentException("memory budget must be at least 256 MiB, got " + memoryBudgetBytes + " bytes");
    }
    if (maxLength < lengths.get(lengths.size() - 1)) {
      throw new IllegalArgumentException("max-length (" + maxLength + ") is below the longest table length ("
          + lengths.get(lengths.size() - 1) + ")");
    }
    lengths = List.copyOf(lengths);
    if (kinds == null || kinds.isEmpty() || kinds.stream().distinct().count() != kinds.size()) {
      throw new IllegalArgumentException("kinds must name at least one attention kind, each once, got " + kinds);
    }
    kinds = List.copyOf(kinds);
    if (modelKinds == null || modelKinds.stream().distinct().count() != modelKinds.size()) {
      throw new IllegalArgumentException("model kinds must name each attention kind at most once, got " + modelKinds);
    }
    modelKinds = List.copyOf(modelKinds);
    // fail here, not in a child process, on a layer that cannot be built
    for (AttentionKind kind : java.util.stream.Stream.concat(kinds.stream(), modelKinds.stream()).toList()) {
      attention(kind, width, heads, window, rank);
    }
  }

  private static AttentionSpec attention(AttentionKind kind, int width, int heads, int window, int rank) {
    return switch (kind) {
      case LONG_SHORT -> longShort(width, heads, window, rank);
      case FULL -> AttentionSpec.full().setWidth(width).setHeads(heads).build();
      default -> AttentionDefaults.of(kind, width, heads, null).build();
    };
  }

  /** The layer of each kind, in {@link #kinds()} order. */
  public List<AttentionSpec> attentions() {
    return kinds.stream().map(k -> attention(k, width, heads, window, rank)).toList();
  }

  /** The layer of each model kind, in {@link #modelKinds()} order. */
  public List<AttentionSpec> modelAttentions() {
    return modelKinds.stream().map(k -> attention(k, width, heads, window, rank)).toList();
  }

  private static AttentionSpec longShort(int width, int heads, int window, int rank) {
    return AttentionSpec.longShort().setWidth(width).setHeads(heads).setWindow(window).setRank(rank).build();
  }

  private static void positive(String name, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
  }

  public AttentionSpec longShort() {
    return longShort(width, heads, window, rank);
  }

  public AttentionSpec full() {
    return AttentionSpec.full().setWidth(width).setHeads(heads).build();
  }
}
