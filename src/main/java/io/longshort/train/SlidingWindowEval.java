package io.longshort.train;

import io.longshort.data.ByteCorpus;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.Task;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.types.family.TFloating;

/**
 * Long-context bits per character of a byte-level language model with a sliding evaluation
 * window, as long-context LM results are reported: windows of N bytes (the model graph's length)
 * move over a stretch of a split by S bytes; the first window scores all its N next-byte
 * predictions, every later one only the predictions no earlier window made (its last S, the
 * final window fewer), so each byte of the stretch is predicted exactly once and, after the first
 * N, with at least N - S bytes of context. S = N is the plain non-overlapping evaluation; a
 * smaller S gives every prediction more context at N / S times the cost.
 *
 * <p>Letters: B windows per run, N context (window length), S stride, V vocabulary.
 */
public final class SlidingWindowEval {
  private SlidingWindowEval() {}

  /**
   * @param scored next-byte predictions scored
   * @param bitsPerCharacter their mean -log2 p
   */
  public record Result(long scored, double bitsPerCharacter, int context, int stride, int windows) {}

  /** One window: its first byte in the split and the first of its N positions that is scored. */
  private record Window(long start, int firstScored) {}

  /**
   * @param model a language model graph of batch -1 (any) or {@code batch}, length N
   * @param maxBytes evaluate at most this many predictions from the split's start (0 = the whole split)
   * @param batch windows per session run
   */
  public static <T extends TFloating> Result evaluate(ModelGraph<T> model, ByteCorpus corpus, ByteCorpus.Split split,
      int stride, long maxBytes, int batch) throws IOException {
    if (model.spec().task() != Task.LANGUAGE_MODEL) {
      throw new IllegalArgumentException("sliding-window evaluation needs a language_model, got "
          + model.spec().task().jsonName());
    }
    int n = model.length();
    if (stride < 1 || stride > n) {
      throw new IllegalArgumentException("stride (" + stride + ") must be in 1.." + n + " (the context)");
    }
    ByteCorpus.Range range = corpus.range(split);
    // predictions: targets are bytes 1 .. total of the stretch
    long total = range.length() - 1;
    if (maxBytes > 0) {
      total = Math.min(total, maxBytes);
    }
    if (total < n) {
      throw new IllegalArgumentException("the " + split.name().toLowerCase() + " split holds " + (total + 1)
          + " bytes; a context of " + n + " needs at least " + (n + 1));
    }
    List<Window> windows = new ArrayList<>();
    windows.add(new Window(0, 0));
    long scoredUpTo = n;
    while (scoredUpTo < total) {
      long start = Math.min(scoredUpTo + stride - n, total - n);
      windows.add(new Window(start, (int) (scoredUpTo - start)));
      scoredUpTo = start + n;
    }
    int v = model.spec().vocabSize();
    double nats = 0;
    long scored = 0;
    for (int from = 0; from < windows.size(); from += batch) {
      List<Window> group = windows.subList(from, Math.min(windows.size(), from + batch));
      int b = group.size();
      int[] ids = new int[b * n];
      int[] targets = new int[b * n];
      byte[] bytes = new byte[n + 1];
      for (int w = 0; w < b; w++) {
        corpus.read(range.offset() + group.get(w).start(), bytes);
        for (int t = 0; t < n; t++) {
          ids[w * n + t] = bytes[t] & 0xff;
          targets[w * n + t] = bytes[t + 1] & 0xff;
        }
      }
      double[] logits = model.logits(b, Map.of("input_ids", ids));
      for (int w = 0; w < b; w++) {
        for (int t = group.get(w).firstScored(); t < n; t++) {
          int row = (w * n + t) * v;
          double max = Double.NEGATIVE_INFINITY;
          for (int c = 0; c < v; c++) {
            max = Math.max(max, logits[row + c]);
          }
          double sum = 0;
          for (int c = 0; c < v; c++) {
            sum += Math.exp(logits[row + c] - max);
          }
          nats += max + Math.log(sum) - logits[row + targets[w * n + t]];
          scored++;
        }
      }
    }
    if (scored != total) {
      throw new IllegalStateException("scored " + scored + " predictions, expected " + total);
    }
    return new Result(scored, nats / scored / Math.log(2), n, stride, windows.size());
  }
}
