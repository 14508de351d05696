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
}
