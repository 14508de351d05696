package io.longshort.data;

import io.longshort.io.HostArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Cuts an {@link ExampleSource} into fixed-shape batches ({@link Batch}: {@code input_ids}, {@code mask}
 * and {@code labels}, or the two towers of retrieval), epoch after epoch.
 *
 * <p>The order of an epoch depends only on (seed, epoch): with shuffling, the examples are
 * permuted by a random source seeded from both; with bucketing ({@code bucketBatches} = k &gt; 1),
 * each run of k·B consecutive examples of that order is sorted by length (so a batch holds
 * examples of similar length and little padding) and cut into k batches, and the batches are then
 * shuffled again so that lengths do not come in order. Any batch of any epoch can therefore be
 * rebuilt directly ({@link #batch(long, int)}), and {@link #iterator(long, int)} resumes exactly at
 * (epoch, batch index).
 *
 * <p>Sequences longer than N are truncated; shorter ones are padded with id 0 and mask 0. With
 * {@code padToLongest(m)}, N is instead the batch's longest sequence rounded up to a multiple of
 * m (at most the configured length), for callers that run variable shapes.
 */
public final class Batcher {
  private final ExampleSource source;
  private final BatchKind kind;
  private final int batchSize;
  private final int length;
  private final boolean shuffle;
  private final long seed;
  private final int bucketBatches;
  private final boolean dropRemainder;
  private final int padMultiple;

  private Batcher(Builder b) {
    this.source = b.source;
    this.kind = b.kind;
    this.batchSize = b.batchSize;
    this.length = b.length;
    this.shuffle = b.shuffle;
    this.seed = b.seed;
    this.bucketBatches = b.bucketBatches;
    this.dropRemainder = b.dropRemainder;
    this.padMultiple = b.padMultiple;
  }

  public static Builder builder(ExampleSource source, BatchKind kind) {
    return new Builder(source, kind);
  }

  public static final class Builder {
    private final ExampleSource source;
    private final BatchKind kind;
    private int batchSize = 32;
    private int length = -1;
    private boolean shuffle;
    private long seed;
    private int bucketBatches = 1;
    private boolean dropRemainder;
    private int padMultiple;

    private Builder(ExampleSource source, BatchKind kind) {
      this.source = source;
      this.kind = kind;
    }

    /** B (default 32). */
    public Builder batchSize(int b) { batchSize = b; return this; }
    /** N: ids are truncated or padded to it (required). */
    public Builder length(int n) { length = n; return this; }
    /** Shuffle each epoch with an order that depends only on (seed, epoch). */
    public Builder shuffle(long s) { shuffle = true; seed = s; return this; }
    /** Sort by length within windows of k batches (1 = no bucketing, the default). */
    public Builder bucketBatches(int k) { bucketBatches = k; return this; }
    /** Drop an epoch's last, incomplete batch (default: keep it, padded with empty rows). */
    public Builder dropRemainder(boolean d) { dropRemainder = d; return this; }
    /** N per batch = longest sequence rounded up to a multiple of m, at most length (0 = fixed N). */
    public Builder padToLongest(int m) { padMultiple = m; return this; }

    public Batcher build() {
      check(batchSize >= 1, "batch size (" + batchSize + ") must be >= 1");
      check(length >= 1, "length (" + length + ") must be set, >= 1");
      check(bucketBatches >= 1, "bucket window (" + bucketBatches + " batches) must be >= 1");
      check(padMultiple >= 0, "pad multiple (" + padMultiple + ") must be >= 0");
      check(kind != BatchKind.LANGUAGE_MODEL || padMultiple == 0, "language-model batches have a fixed length");
      return new Batcher(this);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("Batcher: " + message);
      }
    }
  }

  /** A position in the stream of batches: the next batch to read is {@code batch} of {@code epoch}. */
  public record Position(long epoch, int batch) {}

  public int batchSize() { return batchSize; }
  public int length() { return length; }
  public ExampleSource source() { return source; }

  /** Batches per epoch. */
  public int batchesPerEpoch() {
    int n = source.size();
    return dropRemainder ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The example indices of every batch of an epoch, in order; a pure function of (seed, epoch). */
  public int[][] epochPlan(long epoch) {
    int n = source.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(mix(seed, epoch));
    if (shuffle) {
      for (int i = n - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    int nb = batchesPerEpoch();
    int used = Math.min(n, nb * batchSize);
    if (bucketBatches > 1) {
      int window = bucketBatches * batchSize;
      for (int from = 0; from < used; from += window) {
        int to = Math.min(used, from + window);
        Integer[] chunk = new Integer[to - from];
        for (int i = from; i < to; i++) {
          chunk[i - from] = order[i];
        }
        Arrays.sort(chunk, Comparator.comparingInt(source::length)); // stable
        for (int i = from; i < to; i++) {
          order[i] = chunk[i - from];
        }
      }
    }
    int[][] batches = new int[nb][];
    for (int b = 0; b < nb; b++) {
      batches[b] = Arrays.copyOfRange(order, b * batchSize, Math.min(used, (b + 1) * batchSize));
    }
    if (shuffle && bucketBatches > 1) {
      // the incomplete batch, if any, stays last so that every batch before it is full
      int full = used % batchSize == 0 ? nb : nb - 1;
      for (int i = full - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        int[] t = batches[i];
        batches[i] = batches[j];
        batches[j] = t;
      }
    }
    return batches;
  }

  private static long mix(long seed, long epoch) {
    long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Batch {@code index} of {@code epoch}, rebuilt directly. */
  public Batch batch(long epoch, int index) {
    int[][] plan = epochPlan(epoch);
    if (index < 0 || index >= plan.length) {
      throw new IndexOutOfBoundsException("batch " + index + " of " + plan.length + " per epoch");
    }
    return assemble(plan[index]);
  }

  /** A batch of the given examples (at most B of them). */
  public Batch assemble(int[] indices) {
    if (indices.length > batchSize) {
      throw new IllegalArgumentException(indices.length + " examples for a batch of " + batchSize);
    }
    List<Example> ex = new ArrayList<>(indices.length);
    for (int i : indices) {
      ex.add(source.get(i));
    }
    int n = length;
    if (padMultiple > 0) {
      int longest = 1;
      for (Example e : ex) {
        longest = Math.max(longest, e.maxLength());
      }
      n = Math.min(length, (longest + padMultiple - 1) / padMultiple * padMultiple);
    }
    int[] ids = new int[batchSize * n];
    int[] mask = new int[batchSize * n];
    int[] ids1 = kind == BatchKind.RETRIEVAL ? new int[batchSize * n] : null;
    int[] mask1 = kind == BatchKind.RETRIEVAL ? new int[batchSize * n] : null;
    int[] labels = kind == BatchKind.LANGUAGE_MODEL ? null : new int[batchSize];
    int[] targets = kind == BatchKind.LANGUAGE_MODEL ? new int[batchSize * n] : null;
    for (int r = 0; r < ex.size(); r++) {
      Example e = ex.get(r);
      int base = r * n;
      switch (kind) {
        case CLASSIFICATION, RETRIEVAL -> {
          if (e.label() < 0) {
            throw new IllegalArgumentException("example " + indices[r] + " has no label");
          }
          labels[r] = e.label();
          int m = Math.min(n, e.length());
          for (int t = 0; t < m; t++) {
            ids[base + t] = e.id(t);
            mask[base + t] = 1;
          }
          if (kind == BatchKind.RETRIEVAL) {
            if (!e.isPair()) {
              throw new IllegalArgumentException("example " + indices[r] + " is not a pair");
            }
            int m1 = Math.min(n, e.length1());
            for (int t = 0; t < m1; t++) {
              ids1[base + t] = e.id1(t);
              mask1[base + t] = 1;
            }
          }
        }
        case LANGUAGE_MODEL -> {
          if (e.length() != n + 1) {
            throw new IllegalArgumentException("window " + indices[r] + " has " + e.length()
                + " bytes; a language-model batch of length " + n + " needs " + (n + 1));
          }
          for (int t = 0; t < n; t++) {
            ids[base + t] = e.id(t);
            targets[base + t] = e.id(t + 1);
            mask[base + t] = 1;
          }
        }
      }
    }
    long[] shape = {batchSize, n}; // (B, N)
    Map<String, HostArray> arrays = new LinkedHashMap<>();
    if (kind == BatchKind.RETRIEVAL) {
      arrays.put("input_ids_0", HostArray.ints(shape, ids));
      arrays.put("mask_0", HostArray.ints(shape, mask));
      arrays.put("input_ids_1", HostArray.ints(shape, ids1));
      arrays.put("mask_1", HostArray.ints(shape, mask1));
    } else {
      arrays.put("input_ids", HostArray.ints(shape, ids));
      arrays.put("mask", HostArray.ints(shape, mask));
    }
    boolean lm = kind == BatchKind.LANGUAGE_MODEL;
    arrays.put(Batch.LABELS, lm ? HostArray.ints(shape, targets) : HostArray.ints(new long[] {batchSize}, labels));
    // the loss has one row per example, or one per position for language models
    return new Batch(arrays, ex.size() * (lm ? n : 1), indices);
  }

  /**
   * Batches from (epoch, batch) on, through the end of epoch {@code endEpoch - 1}
   * ({@code Long.MAX_VALUE}: without end). {@link BatchIterator#position()} is where to resume.
   */
  public BatchIterator iterator(long epoch, int batch, long endEpoch) {
    return new BatchIterator(epoch, batch, endEpoch);
  }

  /** Batches from (epoch, batch) on, without end. */
  public BatchIterator iterator(long epoch, int batch) {
    return iterator(epoch, batch, Long.MAX_VALUE);
  }

  /** Every batch of one epoch. */
  public BatchIterator epoch(long epoch) {
    return iterator(epoch, 0, epoch + 1);
  }

  /** Iterates batches across epochs; the position after each batch is exact for resuming. */
  public final class BatchIterator implements Iterator<Batch> {
    private long epoch;
    private int batch;
    private final long endEpoch;
    private long planEpoch = Long.MIN_VALUE;
    private int[][] plan;

    private BatchIterator(long epoch, int batch, long endEpoch) {
      int per = batchesPerEpoch();
      if (epoch < 0 || batch < 0 || batch > per) {
        throw new IllegalArgumentException("position (epoch " + epoch + ", batch " + batch
            + ") is outside 0.." + per + " batches per epoch");
      }
      this.epoch = epoch;
      this.batch = batch;
      this.endEpoch = endEpoch;
      normalise();
    }

    private void normalise() {
      int per = batchesPerEpoch();
      if (per > 0 && batch >= per) {
        epoch++;
        batch = 0;
      }
    }

    @Override
    public boolean hasNext() {
      return batchesPerEpoch() > 0 && epoch < endEpoch;
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (planEpoch != epoch) {
        plan = epochPlan(epoch);
        planEpoch = epoch;
      }
      Batch b = assemble(plan[batch]);
      batch++;
      normalise();
      return b;
    }

    /** The next batch to be returned: save it to resume with {@code iterator(epoch, batch)}. */
    public Position position() {
      return new Position(epoch, batch);
    }
  }
}
