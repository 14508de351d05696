package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input to train: one clear line naming the file and the problem, exit status 2, no trace. */
class TrainCommandTest {
  @TempDir
  Path dir;

  private String[] run(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertEquals(expected, cli.execute(args), err.toString());
    return new String[] {out.toString(), err.toString()};
  }

  private Path listOps() {
    Path d = dir.resolve("listops");
    run(0, "generate-listops", "--out", d.toString(), "--train", "40", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60");
    return d;
  }

  @Test
  void missingDataFolder() {
    String err = run(2, "train", "--listops", dir.resolve("nowhere").toString(), "--length", "64", "--batch", "4",
        "--steps", "2", "--run", dir.resolve("run").toString())[1];
    assertTrue(err.startsWith("error: ") && err.contains("nowhere") && err.contains("does not exist"), err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
  }

  @Test
  void malformedRowNamesFileAndLine() throws Exception {
    Path d = listOps();
    Path valid = d.resolve("basic_val.tsv");
    Files.writeString(valid, Files.readString(valid) + "[MAX 2 3 ]\tseven\r\n");
    String err = run(2, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", dir.resolve("run").toString())[1];
    assertTrue(err.contains("basic_val.tsv") && err.contains("line 10") && err.contains("seven"), err);
    String out = run(0, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", dir.resolve("run2").toString(), "--skip-bad-rows")[0];
    assertTrue(out.contains("skipped 1 malformed rows"), out);
  }

  @Test
  void runFolderThatIsAFile() throws Exception {
    Path d = listOps();
    Path file = Files.writeString(dir.resolve("occupied"), "x");
    String err = run(2, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", file.resolve("run").toString())[1];
    assertTrue(err.contains("is a file, not a folder"), err);
    assertFalse(err.contains("\tat "), "no stack trace: " + err);
  }

  /**
   * The data is part of what a resume checks, by contents: the same files copied elsewhere resume,
   * other files are refused naming both fingerprints.
   */
  @Test
  void resumingOnOtherDataIsRefusedAndACopyOfTheSameDataResumes() throws Exception {
    Path d = listOps();
    Path run = dir.resolve("data-run");
    String[] train = {"train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", run.toString()};
    run(0, train);
    String before = io.longshort.io.ContentFingerprint.of(java.util.List.of(d.resolve("basic_train.tsv"),
        d.resolve("basic_val.tsv")));
    Path copy = dir.resolve("copy");
    Files.createDirectories(copy);
    for (String f : new String[] {"basic_train.tsv", "basic_val.tsv"}) {
      Files.copy(d.resolve(f), copy.resolve(f));
    }
    train[2] = copy.toString();
    run(0, train);
    run(0, "generate-listops", "--out", d.toString(), "--train", "40", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60", "--seed", "1", "--overwrite");
    String after = io.longshort.io.ContentFingerprint.of(java.util.List.of(d.resolve("basic_train.tsv"),
        d.resolve("basic_val.tsv")));
    train[2] = d.toString();
    String err = run(2, train)[1];
    assertEquals("error: run folder " + run + " was trained on other data: its data fingerprint is " + before
        + " (ckpt-2.safetensors), this data's is " + after + "; to resume it, give the data it was started with; to"
        + " train on this data, use a new run folder\n", err);
  }

  /** --xla: the steps run as one compiled call each, and the run ends with a checkpoint. */
  @Test
  void xlaTrainingSteps() throws Exception {
    Path d = listOps();
    Path run = dir.resolve("xla");
    String out = run(0, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", run.toString(), "--xla")[0];
    assertTrue(out.contains("one XLA-compiled call each"), out);
    assertTrue(Files.exists(run.resolve("checkpoints").resolve("ckpt-2.safetensors")), out);
  }

  /** --recompute: a run whose blocks are rebuilt in the backward pass ends with a checkpoint; what it does not take is named. */
  @Test
  void recomputeTrainsAndRefusesWhatItDoesNotTake() throws Exception {
    Path d = listOps();
    Path run = dir.resolve("recompute");
    String out = run(0, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", run.toString(), "--recompute")[0];
    assertTrue(Files.exists(run.resolve("checkpoints").resolve("ckpt-2.safetensors")), out);
    String other = dir.resolve("other").toString();
    assertEquals("error: --recompute (with --xla) is not supported: the compiled step would rebuild each block inside"
        + " its function; leave out one of them",
        run(2, "train", "--listops", d.toString(), "--recompute", "--xla", "--run", other)[1].strip());
    assertEquals("error: --recompute (with --bf16) is not supported: recomputation takes float32 training; leave out"
        + " one of them", run(2, "train", "--listops", d.toString(), "--recompute", "--bf16", "--run", other)[1].strip());
    assertFalse(Files.exists(Path.of(other)), "nothing written for a refused run");
    // halves: each block's attention half and MLP half rebuilt on their own
    Path halves = dir.resolve("halves");
    String halvesOut = run(0, "train", "--listops", d.toString(), "--length", "64", "--batch", "4", "--steps", "2",
        "--run", halves.toString(), "--recompute", "halves")[0];
    assertTrue(Files.exists(halves.resolve("checkpoints").resolve("ckpt-2.safetensors")), halvesOut);
    assertEquals("error: --recompute (thirds) must be blocks or halves",
        run(2, "train", "--listops", d.toString(), "--recompute", "thirds", "--run", other)[1].strip());
    assertFalse(Files.exists(Path.of(other)), "nothing written for a refused run");
  }

  @Test
  void errorsNameTheOptionTyped() {
    String run = dir.resolve("run").toString();
    String nowhere = dir.resolve("nowhere").toString();
    String[][] cases = {
        {"--batch", "0", "error: --batch (0) must be >= 1"},
        {"--steps", "0", "error: --steps (0) must be in 1..2147483647"},
        {"--keep", "0", "error: --keep (0) must be >= 1"},
        {"--eval-every", "-3", "error: --eval-every (-3) must be >= 1"},
        {"--checkpoint-every", "0", "error: --checkpoint-every (0) must be >= 1"},
        {"--lr", "nan", "error: --lr (NaN) must be a finite number > 0"},
        {"--lr", "NaN", "error: --lr (NaN) must be a finite number > 0"},
        {"--lr", "-inf", "error: --lr (-Infinity) must be a finite number > 0"},
        {"--lr", "0", "error: --lr (0.0) must be a finite number > 0"},
        {"--warmup", "10", "error: --warmup (10) must be in 0..4"},
    };
    for (String[] c : cases) {
      String steps = c[0].equals("--steps") ? c[1] : "5";
      String[] args = c[0].equals("--steps") ? new String[] {"train", "--listops", nowhere, "--steps", steps, "--run", run}
          : new String[] {"train", "--listops", nowhere, "--steps", steps, c[0], c[1], "--run", run};
      String err = run(2, args)[1];
      assertEquals(c[2], err.strip(), String.join(" ", c));
    }
    assertTrue(run(2, "train", "--listops", nowhere, "--lr", "fast", "--run", run)[1]
        .contains("Invalid value for option '--lr': 'fast' is not a number"));
  }

  @Test
  void trainImageErrorsNameTheOptionTyped() {
    String[][] cases = {
        {"--batch", "0", "error: --batch (0) must be >= 1"},
        {"--lr", "nan", "error: --lr (NaN) must be a finite number > 0"},
        {"--weight-decay", "-1", "error: --weight-decay (-1.0) must be a finite number >= 0"},
        {"--warmup", "10", "error: --warmup (10) must be in 0..4"},
    };
    for (String[] c : cases) {
      assertEquals(c[2], run(2, "train-image", "--steps", "5", c[0], c[1])[1].strip(), String.join(" ", c));
    }
  }

  @Test
  void corpusThatIsEmptyTooShortOrAFolderIsNamed() throws Exception {
    String run = dir.resolve("run").toString();
    Path empty = Files.createFile(dir.resolve("empty.txt"));
    Path small = Files.writeString(dir.resolve("small.txt"), "abcdefghij".repeat(100));
    String[][] cases = {
        {dir.toString(), "error: --corpus (" + dir + ") is a directory; give a file of bytes (e.g. enwik8)"},
        {dir.resolve("none.txt").toString(), "error: --corpus (" + dir.resolve("none.txt") + "): no such file"},
        {empty.toString(), "error: --corpus (" + empty + ") is empty"},
        {small.toString(), "error: --corpus (" + small + ") is too short: its train split has 900 of its 1000 bytes"
            + " (90/5/5 %), 3 windows of 257 bytes (--length 256 and the next byte); one batch needs 4 (--batch)."
            + " Give a longer corpus or a smaller --length"},
    };
    for (String[] c : cases) {
      String[] out = run(2, "train", "--spec", "char_lm_small", "--corpus", c[0], "--length", "256", "--batch", "4",
          "--steps", "2", "--run", run);
      assertEquals(c[1], out[1].strip());
      assertFalse(out[1].contains("\tat "), "no stack trace: " + out[1]);
    }
    // long enough to train on, but its 5 % validation split holds no window of 257 bytes
    String err = run(2, "train", "--spec", "char_lm_small", "--corpus", small.toString(), "--length", "256",
        "--batch", "2", "--steps", "2", "--run", run)[1];
    assertEquals("error: --corpus (" + small + ") is too short: its valid split has 50 of its 1000 bytes (90/5/5 %),"
        + " 0 windows of 257 bytes (--length 256 and the next byte); at least 1 is needed. Give a longer corpus or a"
        + " smaller --length", err.strip());
  }
}
