package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.longshort.export.ServingExport;
import io.longshort.export.VersionFolders;
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
        + nanRun + " --checkpoint 2", err.strip());
    assertFalse(Files.exists(out.resolve("nan-run")) && !ServingExport.versions(out.resolve("nan-run")).isEmpty(),
        "nothing published");

    String ok = cli(0, "export", "--run", nanRun.toString(), "--checkpoint", "2", "--out", out.toString())[0];
    assertTrue(ok.contains("as version 1"), ok);
    err = cli(2, "export", "--run", nanRun.toString(), "--checkpoint", "3", "--out", out.toString())[1];
    assertEquals("error: --checkpoint (3): " + nanRun.resolve("checkpoints").resolve("ckpt-3.safetensors")
        + " does not exist; the run folder has [ckpt-2.safetensors, ckpt-4.safetensors]", err.strip());
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
          + " ckpt-2.safetensors: export it with --run " + nanRun + " --checkpoint 2"), err);
    }
  }

  /**
   * The states a kill leaves, each set up as the code leaves it, repaired by the next export: of a
   * version that is still a real folder (exported before version links), between --overwrite's two
   * renames (also in the layout of the code before that, .N.old-id/v) and while the replaced version
   * was being deleted; of a version link, before the new link was renamed into place and before the
   * replaced folder was deleted; and during a version's or models.config's write.
   */
  @Test
  void nextExportRepairsWhatAnInterruptedOneLeft() throws IOException {
    Path out = dir.resolve("models");
    Path model = out.resolve("m");
    cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m");
    List<String> files = tree(model.resolve("1"));
    assertTrue(Files.isSymbolicLink(model.resolve("1")), "a version is a link to its hidden folder");

    // version 1 as a real folder, as exports made before version links left it
    Path first = model.resolve(Files.readSymbolicLink(model.resolve("1")));
    Files.delete(model.resolve("1"));
    Files.move(first, model.resolve("1"));
    // killed between the renames of an --overwrite of it: no version 1, the old one hidden, the new
    // one whole in its folder with its link not yet in place, another export's folder unfinished
    Files.move(model.resolve("1"), model.resolve(".1.old-123"));
    copyTree(model.resolve(".1.old-123"), model.resolve(".1.123"));
    Files.createSymbolicLink(model.resolve(".1.link-123"), Path.of(".1.123"));
    Files.createDirectories(model.resolve(".1.tmp-124/variables"));
    Files.writeString(model.resolve(".1.tmp-124/saved_model.pb"), "half");
    Path config = Files.writeString(out.resolve(".models.config4711.tmp"), "model_config_list {");
    String o = cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m")[0];
    assertTrue(o.contains("recovered: restored version 1 of " + model + " from .1.old-123, where an --overwrite killed"
        + " between its two renames had left it\n"), o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.link-123") + ", the link of an interrupted export"
        + " of version 1 that was not yet renamed into place\n"), o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.123") + ", a folder of version 1 that no version"
        + " link points to (an export killed before its link was in place, or the version an --overwrite replaced)\n"),
        o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.tmp-124") + ", the unfinished folder of an"
        + " interrupted export of version 1\n"), o);
    assertTrue(o.contains("recovered: removed " + config + ", left by an interrupted write\n"), o);
    assertTrue(o.contains("as version 2"), o);
    assertEquals(List.of("1", "2"), VersionFolders.visible(model));
    assertEquals(List.of(), VersionFolders.leftovers(model));
    assertFalse(Files.isSymbolicLink(model.resolve("1")), "restored as it was, a real folder");
    assertTrue(Files.isSymbolicLink(model.resolve("2")));
    assertEquals(files, tree(model.resolve("1")));
    assertEquals(files, tree(model.resolve("2")));
    // the lock file of the root (models.config's writers) stays, empty while no one holds it
    assertEquals(List.of(io.longshort.io.FolderLock.FILE, "batching_parameters.txt", "m", "models.config"), entries(out));

    // the same in the layout of the code before (.N.old-<id>/v), and a replaced version not yet
    // deleted; the --overwrite turns the real folder 1 into a link
    Files.createDirectories(model.resolve(".2.old-9"));
    copyTree(model.resolve("2"), model.resolve(".2.old-9/v"));
    Path twoFolder = model.resolve(Files.readSymbolicLink(model.resolve("2")));
    Files.delete(model.resolve("2"));
    copyTree(model.resolve("1"), model.resolve(".1.old-55"));
    o = cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version", "1",
        "--overwrite")[0];
    assertTrue(o.contains("recovered: restored version 2 of " + model + " from .2.old-9, where"), o);
    assertTrue(o.contains("recovered: removed " + model.resolve(".1.old-55") + ", the replaced version 1 that an"
        + " interrupted --overwrite had not yet deleted\n"), o);
    // 2 is restored as a real folder, so the folder its link pointed to is no version's any more
    assertTrue(o.contains("recovered: removed " + twoFolder + ", a folder of version 2 that no version link"), o);
    assertTrue(o.contains("as version 1"), o);
    assertEquals(List.of("1", "2"), VersionFolders.visible(model));
    assertEquals(List.of(), VersionFolders.leftovers(model));
    assertTrue(Files.isSymbolicLink(model.resolve("1")), "a real-folder version becomes a link when replaced");
    assertEquals(files, tree(model.resolve("1")));
    assertEquals(files, tree(model.resolve("2")));

    // an --overwrite of the link 1 killed before its new link was renamed into place: the old 1 is
    // served meanwhile; and one killed after, before deleting the folder it replaced
    Path served = Files.readSymbolicLink(model.resolve("1"));
    copyTree(model.resolve("1"), model.resolve(".1.77"));
    Files.createSymbolicLink(model.resolve(".1.link-77"), Path.of(".1.77"));
    copyTree(model.resolve("1"), model.resolve(".1.88"));
    o = cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version", "1",
        "--overwrite")[0];
    for (String left : List.of(".1.link-77", ".1.77", ".1.88")) {
      assertTrue(o.contains("recovered: removed " + model.resolve(left) + ", "), left + ": " + o);
    }
    assertFalse(Files.exists(model.resolve(served)), "the replaced folder is deleted");
    assertEquals(List.of("1", "2"), VersionFolders.visible(model));
    assertEquals(List.of(), VersionFolders.leftovers(model));
    assertEquals(files, tree(model.resolve("1")));
  }

  /**
   * --overwrite replaces a version export wrote (its files recorded, unchanged) and refuses any
   * other by name: a file added to it, a file changed in it, a version some other tool wrote. An
   * export while this JVM holds the model folder is refused at once, naming the holder.
   */
  @Test
  void overwriteReplacesOnlyWhatExportWroteAndAHeldFolderIsRefused() throws IOException {
    Path out = dir.resolve("owned");
    Path model = out.resolve("m");
    cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m");
    List<String> files = tree(model.resolve("1"));
    assertTrue(files.contains(io.longshort.io.OwnedFiles.MARKER), files.toString());
    cli(0, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version", "1",
        "--overwrite");

    Path notes = model.resolve("1").resolve("notes.txt");
    Files.writeString(notes, "the user's");
    String err = cli(2, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version",
        "1", "--overwrite")[1];
    assertEquals("error: " + notes.toRealPath() + " was not written by export (" + io.longshort.io.OwnedFiles.MARKER
        + " does not list it as export's); --overwrite replaces only what export wrote: move it away or choose"
        + " another --model-version\n", err);
    assertEquals("the user's", Files.readString(notes));
    Files.delete(notes);

    // a version written by another tool (no marker): a real folder with a SavedModel's files
    Path other = Files.createDirectories(model.resolve("7").resolve("variables"));
    Files.writeString(model.resolve("7").resolve("saved_model.pb"), "from python");
    err = cli(2, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m", "--model-version", "7",
        "--overwrite")[1];
    assertEquals("error: " + model.resolve("7").toRealPath().resolve("saved_model.pb") + " was not written by export"
        + " (the folder has no " + io.longshort.io.OwnedFiles.MARKER + "); --overwrite replaces only what export wrote:"
        + " move it away or choose another --model-version\n", err);
    assertEquals("from python", Files.readString(model.resolve("7").resolve("saved_model.pb")));
    assertTrue(Files.isDirectory(other));

    try (io.longshort.io.FolderLock held = io.longshort.io.FolderLock.acquire(model, "model folder", "a test")) {
      err = cli(2, "export", "--run", run.toString(), "--out", out.toString(), "--name", "m")[1];
      assertEquals("error: model folder " + model + " is in use by another writer (pid " + ProcessHandle.current().pid()
          + ", started " + ProcessHandle.current().info().startInstant().orElseThrow()
          .truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ", a test (this process)); wait for it to end or use"
          + " another model folder\n", err);
    }
    assertEquals(List.of("1", "7"), VersionFolders.visible(model));
    assertEquals(files, tree(model.resolve("1")));
  }

  static List<String> tree(Path root) throws IOException {
    return VersionFolders.tree(root);
  }

  /** Copies the files of {@code from} (a version link followed to its folder) to the new folder {@code to}. */
  private static void copyTree(Path from, Path to) throws IOException {
    Path real = from.toRealPath();
    try (Stream<Path> s = Files.walk(real)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(real.relativize(p).toString()));
      }
    }
  }
}
