package io.longshort.train;

import io.longshort.data.images.ImageFolderReader;
import io.longshort.data.images.Preprocessing;
import io.longshort.graph.vision.VisionModelGraph;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tensorflow.types.TFloat32;

/**
 * Top-1 and top-5 accuracy of an image classifier on an image folder, streamed: the files are
 * decoded and preprocessed a batch at a time (on {@code threads} threads, the next batch while the
 * model runs the current one), so a folder of any size (ImageNet's 50,000 validation images) fits
 * in memory.
 */
public final class ImageEvaluation {
  private ImageEvaluation() {}

  /** Counts over the images seen so far. */
  public record Result(long images, long top1, long top5) {
    public double top1Accuracy() {
      return (double) top1 / images;
    }

    public double top5Accuracy() {
      return (double) top5 / images;
    }
  }

  /** Called after each batch with the counts so far. */
  @FunctionalInterface
  public interface Listener {
    void batchDone(Result soFar, long total);
  }

  /**
   * Evaluates {@code model} (an inference graph of any batch size) on {@code listing}, each file
   * made an input by {@code preprocessing}, in batches of up to {@code batch}.
   */
  public static Result evaluate(VisionModelGraph<TFloat32> model, ImageFolderReader.Listing listing,
      Preprocessing preprocessing, int batch, int threads, Listener listener) throws IOException {
    int classes = model.spec().classes();
    if (listing.classNames().size() != classes) {
      throw new IllegalArgumentException("the image folder has " + listing.classNames().size() + " class folders,"
          + " the model " + classes + " classes; labels are the folders in sorted order, one per class");
    }
    if (preprocessing.side() != model.spec().imageSize()) {
      throw new IllegalArgumentException("preprocessing makes " + preprocessing.side() + " x " + preprocessing.side()
          + " images; the model takes " + model.spec().imageSize());
    }
    int n = listing.size();
    int len = preprocessing.side() * preprocessing.side() * 3;
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
      Thread t = new Thread(r, "eval-image-decode");
      t.setDaemon(true);
      return t;
    });
    try {
      long top1 = 0;
      long top5 = 0;
      List<Future<float[]>> next = decode(pool, listing, preprocessing, 0, Math.min(batch, n));
      for (int from = 0; from < n; from += batch) {
        int count = Math.min(batch, n - from);
        // (count, S, S, 3)
        float[] pixels = new float[count * len];
        for (int i = 0; i < count; i++) {
          System.arraycopy(get(next.get(i)), 0, pixels, i * len, len);
        }
        int after = from + count;
        next = decode(pool, listing, preprocessing, after, Math.min(batch, n - after));
        // (count, classes)
        double[] logits = model.logits(count, pixels);
        for (int i = 0; i < count; i++) {
          int rank = rank(logits, i * classes, classes, listing.labels()[from + i]);
          top1 += rank < 1 ? 1 : 0;
          top5 += rank < 5 ? 1 : 0;
        }
        listener.batchDone(new Result(after, top1, top5), n);
      }
      return new Result(n, top1, top5);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * How many classes score strictly above {@code label} in the row at {@code offset}: the label
   * is in the top k when this is below k.
   */
  static int rank(double[] logits, int offset, int classes, int label) {
    double mine = logits[offset + label];
    int above = 0;
    for (int c = 0; c < classes; c++) {
      if (logits[offset + c] > mine) {
        above++;
      }
    }
    return above;
  }

  private static List<Future<float[]>> decode(ExecutorService pool, ImageFolderReader.Listing listing,
      Preprocessing preprocessing, int from, int count) {
    List<Future<float[]>> out = new ArrayList<>(Math.max(0, count));
    for (int i = from; i < from + count; i++) {
      java.nio.file.Path f = listing.files().get(i);
      out.add(pool.submit(() -> ImageFolderReader.decode(f, preprocessing)));
    }
    return out;
  }

  private static float[] get(Future<float[]> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while decoding images", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new UncheckedIOException(new IOException(c));
    }
  }
}
