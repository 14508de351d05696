package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.export.ServingExport;
import io.longshort.train.Checkpoints;
import io.longshort.weights.Safetensors;
import io.longshort.weights.SafetensorsWriter;
import io.longshort.weights.TensorInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Exports never publish weights that are not finite, and repair what an interrupted export left
 * behind (the kill tests, {@link KillTest}, kill real processes; these set up each leftover exactly).
 */
class CrashSafeExportTest {
  @TempDir
  static Path dir;
  static Path run;

  static String[] cli(int expected, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine c = Main.commandLine();
    c.setOut(new PrintWriter(out));
    c.setErr(new PrintWriter(err));
    int code = c.execute(args);
    assertEquals(expected, code, out + "\n" + err);
    return new String[] {out.toString(), err.toString()};
  }

  static Path listOps;

  @BeforeAll
  static void trainRun() {
    listOps = dir.resolve("listops");
    cli(0, "generate-listops", "--out", listOps.toString(), "--train", "40", "--valid", "8", "--test", "8",
        "--min-length", "10", "--max-length", "60");
    run = dir.resolve("run");
    cli(0, "train", "--listops", listOps.toString(), "--length", "64", "--batch", "4", "--steps", "4",
        "--checkpoint-every", "2", "--keep", "3", "--eval-every", "1000", "--run", run.toString());
  }

  /** Rewrites {@code file} (checksums and all, as a diverged run would have written it) with one NaN weight. */
  static void poison(Path file, String tensor) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter().optChecksums();
    try (Safetensors st = Safetensors.open(file)) {
      st.metadata().forEach((k, v) -> {
        if (!k.startsWith("crc32c")) {
          w.metadata(k, k.equals(Checkpoints.FINITE_KEY) ? "false" : v);
        }
      });
      for (String n : st.names()) {
        TensorInfo t = st.info(n);
        double[] v = st.readDoubles(n);
        if (t.dtype() == io.longshort.weights.Dtype.I64) {
          w.putLongs(n, t.shape(), java.util.Arrays.stream(v).mapToLong(x -> (long) x).toArray());
        } else {
          if (n.equals(tensor)) {
            v[3] = Double.NaN;
          }
          w.putFloats(n, t.shape(), v);
        }
      }
    }
    w.write(file);
  }

  private static List<String> entries(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void nonFiniteWeightsAreNotExported() throws IOException {
    Path nanRun = dir.resolve("nan-run");
    Files.createDirectories(nanRun.resolve("checkpoints"));
    for (Path c : Checkpoints.list(run.resolve("checkpoints"))) {
      Files.copy(c, nanRun.resolve("checkpoints").resolve(c.getFileName()));
    }
    Path newest = nanRun.resolve("checkpoints/ckpt-4.safetensors");
    poison(newest, "model.transformer_1.mlpblock.0.weight");
    Checkpoints.verify(newest); // intact: the file is what was written, the weights are what is wrong
    Path out = dir.resolve("nan-models");
    String err = cli(2, "export", "--run", nanRun.toString(), "--out", out.toString())[1];
    assertEquals("error: export refused: " + newest + " holds weights that are not finite:"
        + " 'model.transformer_1.mlpblock.0.weight' has 1 NaN of 8192 values (the first at index 3: NaN);"
        + " the newest checkpoint of the run with finite weights is ckpt-2.safetensors: export it with --run "
        + nanRun + " --step 2", err.strip());
    assertFalse(Files.exists(out.resolve("nan-run")) && !ServingExport.versions(out.resolve("nan-run")).isEmpty(),
        "nothing published");

    String ok = cli(0, "export", "--run", nanRun.toString(), "--step", "2", "--out", out.toString())[0];
    assertTrue(ok.contains("as version 1"), ok);
    err = cli(2, "export", "--run", nanRun.toString(), "--step", "3", "--out", out.toString())[1];
    assertEquals("error: --step (3): " + nanRun + " has no ckpt-3.safetensors; it has [ckpt-2.safetensors,"
        + " ckpt-4.safetensors]", err.strip());
  }

  /**
   * The case seen: {@code --lr 1e30} trained on NaN from step 3, checkpointed it, rotated the good
   * checkpoints out and exported NaN. Now --keep 2 keeps ckpt-2 (the last finite one: step 1 has
   * learning rate 0 in the warm-up, step 2 makes the weights huge but finite), and the export of the
   * newest refuses and points at it. (With the divergence guard in the training loop the run stops
   * at step 3 instead and ckpt-2 is the newest: the same checks hold.)
   */
  @Test
  void divergedRunKeepsItsLastFiniteCheckpointAndItsExportRefuses() throws IOException {
    Path nanRun = dir.resolve("lr1e30");
    StringWriter out = new StringWriter();
    CommandLine c = Main.commandLine();
    c.setOut(new PrintWriter(out));
    c.setErr(new PrintWriter(new StringWriter()));
    c.execute("train", "--listops", listOps.toString(), "--length", "64", "--batch", "4", "--steps", "6",
        "--checkpoint-every", "1", "--keep", "2", "--eval-every", "1000", "--lr", "1e30", "--run", nanRun.toString());
    Path dirs = nanRun.resolve("checkpoints");
    Path two = dirs.resolve("ckpt-2.safetensors");
    assertTrue(Files.exists(two), out.toString());
    assertEquals(java.util.Optional.of(two), Checkpoints.newestFinite(dirs));
    Path newest = Checkpoints.latest(dirs).orElseThrow();
    if (!newest.equals(two)) {
      assertFalse(Checkpoints.finite(newest));
      String err = cli(2, "export", "--run", nanRun.toString(), "--out", dir.resolve("nan-export").toString())[1];
      assertTrue(err.startsWith("error: export refused: " + newest + " holds weights that are not finite: '")
          && err.contains("NaN") && err.strip().endsWith("the newest checkpoint of the run with finite weights is"
          + " ckpt-2.safetensors: export it with --run " + nanRun + " --step 2"), err);
    }
  }

  /**
   * The states a kill leaves, each set up as the code leaves it, repaired by the next export:
   * between --overwrite's two renames (also in the layout of the code before this, .N.old-id/v),
   * while the replaced version was being deleted, and during a version's or models.config's write.
   */
  @Test
  void nextExportRepairsWhatAnInterruptedOneLeft() throws IOException {
    Path out = dir.resolve("models");
    Path model = out.resolve("m");
    cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m");
    List<String> files = tree(model.resolve("1"));

    // killed between the renames: no version 1, the old one hidden, the new one unfinished
    Files.move(model.resolve("1"), model.resolve(".1.old-123"));
    Files.createDirectories(model.resolve(".1.tmp-123/variables"));
    Files.writeString(model.resolve(".1.tmp-123/saved_model.pb"), "half");
    Path config = Files.writeString(out.resolve(".models.config4711.tmp"), "model_config_list {");
    String o = cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m")[0];
    assertTrue(o.contains("recovered: restored version 1 of " + model + " from .1.old-123, where an --overwrite killed"
        + " between its two renames had left it\n"), o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.tmp-123") + ", the unfinished folder of an"
        + " interrupted export of version 1\n"), o);
    assertTrue(o.contains("recovered: removed " + config + ", left by an interrupted write\n"), o);
    assertTrue(o.contains("as version 2"), o);
    assertEquals(List.of("1", "2"), entries(model));
    assertEquals(files, tree(model.resolve("1")));
    assertEquals(files, tree(model.resolve("2")));
    assertEquals(List.of("batching_parameters.txt", "m", "models.config"), entries(out));

    // the same in the layout of the code before (.N.old-<id>/v), and a replaced version not yet deleted
    Files.createDirectories(model.resolve(".2.old-9"));
    Files.move(model.resolve("2"), model.resolve(".2.old-9/v"));
    copyTree(model.resolve("1"), model.resolve(".1.old-55"));
    o = cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version", "1",
        "--overwrite")[0];
    assertTrue(o.contains("recovered: restored version 2 of " + model + " from .2.old-9, where"), o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.old-55") + ", the replaced version 1 that an"
        + " interrupted --overwrite had not yet deleted\n"), o);
    assertTrue(o.contains("as version 1"), o);
    assertEquals(List.of("1", "2"), entries(model));
    assertEquals(files, tree(model.resolve("2")));
  }

  static List<String> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}
