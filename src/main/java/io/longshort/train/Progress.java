package io.longshort.train;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Progress for people (training steps; eval-image's images): on a terminal one bar redrawn in place
 * (step, loss, tokens/s, ETA); otherwise (CI logs, pipes) a plain line every few percent.
 * Evaluations and checkpoints always get their own line.
 */
public final class Progress implements TrainingListener {
  private final PrintWriter out;
  private final boolean terminal = System.console() != null;
  private final boolean languageModel;
  private long from;
  private long total;
  private long started;
  private double smoothedLoss = Double.NaN;
  private long lastLine;

  /** @param languageModel whether evaluations also show bits per character */
  public Progress(PrintWriter out, boolean languageModel) {
    this.out = out;
    this.languageModel = languageModel;
  }

  @Override
  public void started(long fromStep, long steps) {
    from = fromStep;
    total = steps;
    started = System.nanoTime();
    if (fromStep > 0) {
      line("resuming at step " + fromStep + " of " + steps);
    }
  }

  @Override
  public void step(long step, double loss, double learningRate, double gradientNorm, double tokensPerSecond) {
    smoothedLoss = Double.isNaN(smoothedLoss) ? loss : 0.9 * smoothedLoss + 0.1 * loss;
    advance(step, String.format("step %d/%d  loss %.4f  lr %.2e  |g| %.2f  %,.0f tok/s  ETA %s", step, total,
        smoothedLoss, learningRate, gradientNorm, tokensPerSecond, eta(step)));
  }

  /**
   * {@code done} of the {@link #started} total: the bar redrawn with {@code text} on a terminal, a
   * line every 2 % (and at the end) otherwise.
   */
  public void advance(long done, String text) {
    if (terminal) {
      int width = 24;
      int filled = (int) (width * Math.min(done, total) / Math.max(1, total));
      out.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + text + "   ");
      out.flush();
    } else if (done == total || done - lastLine >= Math.max(1, total / 50)) {
      line(text);
      lastLine = done;
    }
  }

  /** The estimated time left after {@code done} of the total, e.g. "1m05s". */
  public String eta(long done) {
    double elapsed = (System.nanoTime() - started) / 1e9;
    return duration((total - done) * elapsed / Math.max(1, done - from));
  }

  @Override
  public void evaluated(long step, TrainingLoop.Metrics m) {
    line(String.format("eval at step %d: loss %.4f  accuracy %.4f%s  (%,d rows)", step, m.loss(), m.accuracy(),
        languageModel ? String.format("  bits/char %.4f", m.bitsPerCharacter()) : "", m.rows()));
  }

  @Override
  public void checkpointed(long step, Path file) {
    line("checkpoint " + file);
  }

  /** The run's last lines: steps and time, the final and best validation, the last checkpoint. */
  public void summary(TrainingResult r) {
    double elapsed = (System.nanoTime() - started) / 1e9;
    line(String.format("done: %d steps in %s%s", r.steps(), duration(elapsed), r.stoppedEarly() ? " (stopped early)" : ""));
    if (r.lastEval() != null) {
      line(String.format("final validation: loss %.4f  accuracy %.4f%s; best: loss %.4f  accuracy %.4f",
          r.lastEval().loss(), r.lastEval().accuracy(),
          languageModel ? String.format("  bits/char %.4f", r.lastEval().bitsPerCharacter()) : "",
          r.bestEval().loss(), r.bestEval().accuracy()));
    }
    if (r.lastCheckpoint() != null) {
      line("last checkpoint: " + r.lastCheckpoint());
    }
  }

  /** One line of its own (clearing the bar on a terminal). */
  public void line(String s) {
    if (terminal) {
      out.print("\r");
    }
    out.println(s);
    out.flush();
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
  }
}
