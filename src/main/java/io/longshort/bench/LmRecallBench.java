package io.longshort.bench;

import io.longshort.data.BpttStreams;
import io.longshort.data.ByteCorpus;
import io.longshort.data.RecallCorpus;
import io.longshort.io.AtomicFiles;
import io.longshort.spec.TransformerLsSpec;
import io.longshort.train.AdamW;
import io.longshort.train.OptimizerSpec;
import io.longshort.train.StreamingEval;
import io.longshort.train.TruncatedBpttTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorflow.types.TFloat32;

/**
 * The cache-recall experiment of issue 14 ("the cache carries information"): the authors' LM
 * trained by truncated BPTT on a {@link RecallCorpus}, once with the cache carried from block to
 * block and once with it zeroed before every block, the accuracy on the recall bytes measured on
 * each block before it is trained on (the corpus is longer than the run, so every block is new).
 * {@code main} writes both curves to {@code results.csv} and {@code results.md}.
 *
 * <p>Letters: B lanes, M block, V vocabulary.
 */
public final class LmRecallBench {
  private LmRecallBench() {}

  /** The experiment's sizes. */
  public record Setting(RecallCorpus task, TransformerLsSpec model, int lanes, long steps, double lr, long seed,
      int every) {
    /** Blocks per lane the corpus must hold for a run shorter than an epoch. */
    int recordsPerLane() {
      return (int) (steps / (task.gap() + 1) + 2);
    }
  }

  /** One point of a curve: the recall accuracy over the blocks of the last {@code every} steps. */
  public record Point(long step, double accuracy, double loss) {}

  /**
   * The task and tiny model of the committed results (the value two blocks back; 2 layers, d 64, 4
   * heads, 32 lanes, lr 1e-3, cache and window 32);
   * {@code -Drecall.gap}, {@code .memLen}, {@code .width}, {@code .heads}, {@code .layers}, {@code .lanes},
   * {@code .lr} change them. (At d 32, 2 heads, 8 lanes, lr 3e-3 no run found the copy within 3000
   * updates, not even inside one block: the lanes' batch is what it needed. With the value two blocks
   * back and a cache and window of 48, no run found it within 6000 updates; see bench/lm_recall/NOTES.md.)
   */
  public static Setting standard(long steps) {
    return setting(steps, Integer.getInteger("recall.gap", 2), Integer.getInteger("recall.width", 64),
        Integer.getInteger("recall.heads", 4), Double.parseDouble(System.getProperty("recall.lr", "1e-3")),
        Integer.getInteger("recall.layers", 2), Integer.getInteger("recall.lanes", 32));
  }

  /** A task with the key {@code gap} blocks of 16 back, and a model of the given size. */
  public static Setting setting(long steps, int gap, int width, int heads, double lr, int layers, int lanes) {
    RecallCorpus task = new RecallCorpus(16, gap, 8);
    // the cache and the window hold the value's block and at least two blocks: with the value two
    // blocks back it then sits at the window's far edge (distance 31 of 0..31). A cache and window of
    // 48 (-Drecall.memLen=48) add 16 positions for the softmax to spread over, and no run found the copy.
    int memLen = Integer.getInteger("recall.memLen", 16 * Math.max(2, gap));
    TransformerLsSpec model = TransformerLsSpec.builder().setVocabSize(256).setWidth(width).setInnerWidth(2 * width)
        .setHeads(heads).setLayers(layers).setMemLen(memLen).setWindow(memLen).setChunkSize(4).setChunkRank(1)
        .optDropout(0).optEmbDropout(0).build();
    return new Setting(task, model, lanes, steps, lr, 1, 50);
  }

  /** Trains one model (cache carried, or zeroed) and returns its curve. */
  public static List<Point> curve(Setting s, boolean cacheZeroed, Path work) throws IOException {
    Files.createDirectories(work);
    Path file = work.resolve("recall.bin");
    s.task().write(file, s.lanes(), s.recordsPerLane(), s.seed());
    OptimizerSpec opt = AdamW.builder().setLearningRate(s.lr()).optEpsilon(1e-8)
        .optSchedule(OptimizerSpec.Schedule.CONSTANT).optTotalSteps((int) s.steps()).build();
    int m = s.task().block();
    int vocab = s.model().vocabSize();
    List<Point> points = new ArrayList<>();
    long[] hits = {0};
    long[] counted = {0};
    double[] lossSum = {0};
    try (ByteCorpus corpus = ByteCorpus.open(file)) {
      BpttStreams data = new BpttStreams(corpus, new ByteCorpus.Range(0, corpus.size()), s.lanes(), m,
          StreamingEval.byteIds());
      try (TruncatedBpttTrainer<TFloat32> trainer = new TruncatedBpttTrainer<>(s.model(), opt, data, s.lanes(), m,
          TFloat32.class, s.seed(), null)) {
        trainer.cacheZeroed(cacheZeroed).observer((step, batch, logprobs) -> {
          long blockInLane = step % data.blocksPerEpoch();
          for (int b = 0; b < s.lanes(); b++) {
            for (int t = 0; t < m; t++) {
              if (!s.task().isRecallTarget(blockInLane, t)) {
                continue;
              }
              int row = (b * m + t) * vocab;
              int best = 0;
              for (int v = 1; v < vocab; v++) {
                if (logprobs[row + v] > logprobs[row + best]) {
                  best = v;
                }
              }
              hits[0] += best == batch.targets()[b * m + t] ? 1 : 0;
              counted[0]++;
            }
          }
        });
        trainer.train(s.steps(), Long.MAX_VALUE, 1, (step, loss) -> {
          lossSum[0] += loss;
          if (step % s.every() == 0) {
            points.add(new Point(step, counted[0] == 0 ? 0 : (double) hits[0] / counted[0], lossSum[0] / s.every()));
            if (Boolean.getBoolean("recall.verbose")) {
              System.out.println((cacheZeroed ? "zeroed " : "cached ") + points.get(points.size() - 1));
            }
            hits[0] = 0;
            counted[0] = 0;
            lossSum[0] = 0;
          }
        });
      }
    }
    return points;
  }

  /** {@code LmRecallBench OUT_DIR [STEPS]}: both curves into OUT_DIR/results.csv and results.md. */
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "bench/lm_recall");
    long steps = args.length > 1 ? Long.parseLong(args[1]) : 3000;
    Setting s = standard(steps);
    Path work = Files.createTempDirectory("lm-recall");
    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    long started = System.nanoTime();
    List<Point> cached = curve(s, false, work.resolve("cached"));
    double cachedSeconds = (System.nanoTime() - started) / 1e9;
    started = System.nanoTime();
    List<Point> zeroed = Boolean.getBoolean("recall.cachedOnly") ? cached : curve(s, true, work.resolve("zeroed"));
    double zeroedSeconds = (System.nanoTime() - started) / 1e9;
    StringBuilder csv = new StringBuilder("step,cached_accuracy,zeroed_accuracy,cached_loss,zeroed_loss\n");
    for (int i = 0; i < cached.size(); i++) {
      csv.append(String.format(Locale.ROOT, "%d,%.4f,%.4f,%.4f,%.4f%n", cached.get(i).step(), cached.get(i).accuracy(),
          zeroed.get(i).accuracy(), cached.get(i).loss(), zeroed.get(i).loss()));
    }
    Files.createDirectories(out);
    AtomicFiles.writeString(out.resolve("results.csv"), csv.toString());
    Point c = cached.get(cached.size() - 1);
    Point z = zeroed.get(zeroed.size() - 1);
    String md = String.format(Locale.ROOT, """
        # Recall through the cache (issue 14)

        Made by `scripts/bench_lm_recall.sh %s %d` (= `java ... io.longshort.bench.LmRecallBench`); load average
        %.1f at the start, on the shared 2-core dev machine; %.0f s (cache carried) and %.0f s (cache zeroed).

        Task (`RecallCorpus`): records of %d blocks of %d bytes; the first block is random letters (%d of them),
        the block %d later repeats it, all else is `.`. The recall bytes are the repeat's after its first:
        chance is 1/%d = %.3f without the value, which sits %d block(s) back.

        Model: the authors' LM (`TransformerLsSpec`) %s; truncated BPTT over %d lanes, blocks of %d, %d updates,
        AdamW lr %g (constant, no warm-up), no dropout. Accuracy: argmax over the %d byte ids at the recall
        positions of each block, measured by the forward of the update that trains on it (every block is new:
        the corpus is longer than the run), averaged over %d updates.

        | | recall accuracy at step %d | mean loss of the last %d updates |
        |---|---|---|
        | cache carried | %.4f | %.4f |
        | cache zeroed before every block | %.4f | %.4f |

        Both curves: `results.csv` (step, cached_accuracy, zeroed_accuracy, cached_loss, zeroed_loss).
        """, out, steps, load, cachedSeconds, zeroedSeconds, s.task().gap() + 1, s.task().block(),
        s.task().letters(), s.task().gap(), s.task().letters(), 1.0 / s.task().letters(),
        s.task().gap(), s.model().toJson(), s.lanes(), s.task().block(), steps, s.lr(), s.model().vocabSize(),
        s.every(), c.step(), s.every(), c.accuracy(), c.loss(), z.accuracy(), z.loss());
    AtomicFiles.writeString(out.resolve("results.md"), md);
    try (var walk = Files.walk(work)) { // the generated corpora
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    System.out.print(md);
  }
}
