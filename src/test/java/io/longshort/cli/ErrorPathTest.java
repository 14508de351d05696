package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI's one error path, with the commands: each bad input is one line naming the file,
 * field or option, its value and the limit, exit status 2, no stack trace, within seconds; a
 * failure of ours is exit status 1; --debug prints the trace.
 */
class ErrorPathTest {
  @TempDir
  Path dir;

  static final String LM = """
      {"task":"language_model","vocabSize":%s,"maxLength":%s,"width":8,"layers":%s,"hiddenWidth":16,
       "attention":{"kind":"causal_long_short","width":8,"heads":2,"window":%s,"segment":3,"rank":1},
       "positions":"learned","pooling":"none"}
      """;

  static String lm(String vocab, String maxLength, String layers, String window) {
    return LM.formatted(vocab, maxLength, layers, window);
  }

  /** Runs the command line; {stdout, stderr}, and the status returned. */
  private static int run(String[] out, String... args) {
    CommandLine cli = Main.commandLine(false);
    StringWriter o = new StringWriter();
    StringWriter e = new StringWriter();
    cli.setOut(new PrintWriter(o));
    cli.setErr(new PrintWriter(e));
    int rc = cli.execute(args);
    out[0] = o.toString();
    out[1] = e.toString();
    return rc;
  }

  /** The one line of a refused command (status 2, no trace, within 10 s). */
  private String refused(String... args) {
    String[] out = new String[2];
    long t0 = System.nanoTime();
    int rc = run(out, args);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(2, rc, out[1]);
    assertTrue(seconds < 10, "took " + seconds + " s: " + out[1]);
    assertEquals(1, out[1].lines().count(), "one line, no trace: " + out[1]);
    assertFalse(out[1].contains("\tat ") || out[1].contains("Exception"), out[1]);
    return out[1].strip();
  }

  private String spec(String json) throws Exception {
    return Files.writeString(dir.resolve("spec-" + json.hashCode() + ".json"), json).toString();
  }

  @Test
  void binarySpecIsNamedAsNotUtf8() throws Exception {
    Path f = Files.write(dir.resolve("binary.json"), new byte[] {'{', (byte) 0xff, (byte) 0xfe, 0, 1});
    assertEquals("error: model file " + f + ": not UTF-8 text (invalid byte at offset 1; a binary file?)",
        refused("generate", "--spec", f.toString()));
  }

  @Test
  void duplicateKeysAndNumbersAsStringsAreRefused() throws Exception {
    String dup = lm("256", "24", "1", "4").replace("\"window\":4", "\"window\":4, \"window\":1000");
    String m = refused("generate", "--spec", spec(dup));
    assertTrue(m.contains("ModelSpec JSON, line 2, column") && m.contains("Duplicate field 'window'"), m);
    assertFalse(m.contains("REDACTED"), m);
    m = refused("generate", "--spec", spec(lm("\"18\"", "24", "1", "4")));
    assertTrue(m.contains("(at vocabSize): Cannot coerce String value (\"18\") to `int` value"), m);
  }

  @Test
  void negativeLayersSayTheValueNotRequired() throws Exception {
    String m = refused("generate", "--spec", spec(lm("256", "24", "-1", "4")));
    assertTrue(m.endsWith("ModelSpec: layers (-1) must be >= 1"), m);
  }

  @Test
  void absurdSizesAreRefusedInMillisecondsNamingFieldValueAndLimit() throws Exception {
    String m = refused("generate", "--spec", spec(lm("256", "24", "2000000000", "4")));
    assertTrue(m.contains("ModelSpec: layers (2000000000) is too large: the parameters (about ")
        && m.contains("more than this machine's memory ("), m);
    m = refused("generate", "--spec", spec(lm("1000000000", "24", "1", "4")));
    assertTrue(m.endsWith("ModelSpec: vocabSize (1000000000) is too large: the embedding table (vocabSize, width)"
        + " would hold 8.00e+09 elements, more than TensorFlow's int32 limit (2147483647); vocabSize must be"
        + " <= 268435455 here"), m);
    m = refused("generate", "--spec", spec(lm("256", "100000000", "1", "4")));
    assertTrue(m.contains("ModelSpec: maxLength (100000000) is too large: "), m);
    m = refused("generate", "--spec", spec(lm("256", "24", "1", "4")), "--capacity", "1000000000");
    assertTrue(m.startsWith("error: --capacity (1000000000): ModelSpec: maxLength (1000000000) is too large: the"
        + " activations of one row (maxLength, width) would hold 8.00e+09 elements"), m);
    m = refused("attention-demo", "--length", "1000000000", "--out", dir.toString());
    assertEquals("error: --length (1000000000) is too large: the input (batch 2, length, width 64) would hold"
        + " 1.28e+11 elements, more than TensorFlow's int32 limit (2147483647); --length must be <= 16777215 here", m);
  }

  @Test
  void windowOrRankPastTheLengthIsRefused() throws Exception {
    String m = refused("generate", "--spec", spec(lm("256", "20", "1", "1000")));
    assertTrue(m.endsWith("ModelSpec: attention.window (1000) must be <= maxLength (20)"), m);
  }

  @Test
  void promptFileThatIsAFolderIsNamedSo() throws Exception {
    String m = refused("generate", "--spec", spec(lm("256", "24", "1", "4")), "--prompt-file", dir.toString());
    assertEquals("error: --prompt-file (" + dir + ") is a folder; give a file", m);
  }

  @Test
  void jsonAndRequestTogetherAreRefused() throws Exception {
    Path req = Files.writeString(dir.resolve("r.json"), "{}");
    String m = refused("predict", "--saved-model", dir.toString(), "--json", "{}", "--request", req.toString());
    assertTrue(m.contains("--json and --request (" + req + ") both give the request: give one"), m);
  }

  @Test
  void learningRateThatUnderflowsFloat32IsRefused() {
    String m = refused("train", "--lr", "1e-46", "--steps", "1", "--run", dir.resolve("run").toString());
    assertEquals("error: --lr (1.0E-46) is outside float32's normal range (1.17549435E-38 .. 3.4028235E38): the"
        + " optimizer computes in float32, where it would underflow to 0 or lose its precision", m);
  }

  @Test
  void failuresOfOursAreStatusOneAndDebugPrintsTheTrace() {
    ErrorReport.Report r = ErrorReport.of(new NegativeArraySizeException("-1294967296"));
    assertEquals(1, r.status());
    assertEquals("error: internal error (NegativeArraySizeException: -1294967296); rerun with --debug for the trace"
        + " and report it", r.line());
    assertEquals(1, ErrorReport.of(new OutOfMemoryError("Java heap space")).status());
    ErrorReport.Report missing = ErrorReport.of(new NoSuchFileException("/no/such/spec.json"));
    assertEquals(new ErrorReport.Report("error: /no/such/spec.json: no such file or folder", 2), missing);
    ErrorReport.Report diverged = ErrorReport.of(new io.longshort.train.TrainingDivergedException(3,
        "the loss is Infinity", null));
    assertEquals(2, diverged.status(), "--lr 1e30 is the run's settings, not our failure");
    assertTrue(diverged.line().startsWith("error: training diverged at step 3: the loss is Infinity;"), diverged.line());
    StringWriter w = new StringWriter();
    assertEquals(1, ErrorReport.print(new NegativeArraySizeException("x"), new PrintWriter(w), true));
    assertTrue(w.toString().contains("\tat " + ErrorPathTest.class.getName()), w.toString());
    assertEquals(java.util.List.of("train", "--lr", "1", "--", "--debug"),
        java.util.List.of(Main.withoutDebug(new String[] {"--debug", "train", "--lr", "1", "--", "--debug"})));
  }

  @Test
  void jacksonMessagesAreTranslatedNeverRaw() throws Exception {
    Path best = Files.writeString(dir.resolve("best.json"), "{\"step\": 1,, }");
    var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> io.longshort.spec.Json.readTree(best));
    assertTrue(e.getMessage().startsWith(best + ": not valid JSON: line 1, column 12: Unexpected character (','"),
        e.getMessage());
    assertFalse(e.getMessage().contains("REDACTED") || e.getMessage().contains("Source:"), e.getMessage());
    Files.writeString(best, "{\"step\": 1, \"step\": 2}");
    e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
        () -> io.longshort.spec.Json.readTree(best));
    assertTrue(e.getMessage().contains("Duplicate field 'step'"), e.getMessage());
  }
}
