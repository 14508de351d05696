package io.longshort.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.longshort.TestJvm;
import io.longshort.export.ServingExport;
import io.longshort.export.VersionFolders;
import io.longshort.io.FolderLock;
import io.longshort.train.Checkpoints;
import io.longshort.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} (SIGKILL: no shutdown hook, no finally) at seeded random moments of training,
 * of checkpoint writing, of an export and of an export {@code --overwrite}. After each kill:
 * every checkpoint and every version folder TF Serving would load is complete; the next run
 * removes what the killed one left, says so, and resumes from the newest checkpoint; and a final
 * uninterrupted run ends with the weights of a run that was never killed. Then two writers at once,
 * each a process: two exports to one model folder and two trainings on one run folder; the second
 * is refused naming the first one's PID, and nothing of the first is lost.
 *
 * <p>{@code -Dlongshort.kills=N} kills per target (default 3, for CI; {@code tests/kill_tests.sh}
 * runs 20), {@code -Dlongshort.killSeed=S} the seed of the moments (default 1). Every moment is
 * printed ("kill training 3/20 at 2.413 s ..."), so a failure can be replayed with its seed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KillTest {
  static final int KILLS = Integer.getInteger("longshort.kills", 3);
  static final long SEED = Long.getLong("longshort.killSeed", 1);
  static final int STEPS = 12;
  /** Widens the window between a version link's making and its rename into place, so that kills land in it too. */
  static final long OVERWRITE_PAUSE_MS = 300;

  @TempDir
  static Path dir;
  static Path reference;
  static double referenceSeconds;

  private static List<String> trainArgs(Path run, int checkpointEvery) {
    return List.of("train", "--listops", dir.resolve("listops").toString(), "--length", "64", "--batch", "4",
        "--steps", Integer.toString(STEPS), "--warmup", "3", "--lr", "1e-3", "--eval-every", "1000",
        "--checkpoint-every", Integer.toString(checkpointEvery), "--keep", "2", "--seed", "5", "--run", run.toString());
  }

  private static Process start(List<String> args, Path log, String... jvmOptions) throws IOException {
    List<String> options = new ArrayList<>(List.of("-Xmx1g"));
    options.addAll(List.of(jvmOptions));
    List<String> cmd = TestJvm.command(options, Main.class, args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static void finish(Process p, Path log) throws Exception {
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "finished in time: " + Files.readString(log));
    assertEquals(0, p.exitValue(), Files.readString(log));
  }

  private static void kill(Process p) throws InterruptedException {
    p.destroyForcibly(); // SIGKILL on Unix
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
  }

  @BeforeAll
  static void referenceRun() throws Exception {
    assertEquals(0, Main.commandLine().execute("generate-listops", "--out", dir.resolve("listops").toString(),
        "--train", "200", "--valid", "20", "--test", "20", "--min-length", "10", "--max-length", "60"));
    reference = dir.resolve("reference");
    long t0 = System.nanoTime();
    Path log = dir.resolve("reference.log");
    finish(start(trainArgs(reference, 2), log), log);
    referenceSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("kill tests: %d kills per target, seed %d; the uninterrupted run took %.2f s%n", KILLS, SEED,
        referenceSeconds);
  }

  private static List<Path> hidden(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(folder)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".")).sorted().toList();
    }
  }

  /** Every visible checkpoint is intact (checksums, steps); returns the newest step (0 for none). */
  private static long checkCheckpoints(Path run, String moment) throws IOException {
    long newest = 0;
    for (Path c : Checkpoints.list(run.resolve("checkpoints"))) {
      try {
        newest = Checkpoints.verify(c).step();
      } catch (IOException e) {
        fail("after " + moment + ": " + e.getMessage());
      }
    }
    return newest;
  }

  /**
   * Kills a run in {@code run} {@code KILLS} times, at {@code moment.next(process)} each, then lets
   * it finish; checks after each kill and that the end equals the reference run.
   */
  private void killTraining(String target, Path run, int checkpointEvery, KillMoment moment) throws Exception {
    Random rnd = new Random(SEED * 31 + target.hashCode());
    long newest = 0;
    Set<Path> leftBehind = new HashSet<>();
    int kills = 0;
    int attempts = 0;
    while (kills < KILLS) {
      if (++attempts > 4 * KILLS + 10) {
        fail(target + ": only " + kills + " kills landed in " + attempts + " runs");
      }
      Path log = dir.resolve(target + "-" + attempts + ".log");
      Process p = start(trainArgs(run, checkpointEvery), log);
      String when = moment.await(p, rnd, run);
      boolean killed = p.isAlive();
      if (killed) {
        kill(p);
        kills++;
        System.out.printf("kill %s %d/%d %s (seed %d)%n", target, kills, KILLS, when, SEED);
      } else {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        if (p.exitValue() != 0) {
          fail(target + ": run " + attempts + " failed: " + Files.readString(log));
        }
      }
      String text = Files.readString(log);
      // the run before this one left these; this one removed them before it started (or was killed first)
      if (text.contains("resuming at step") || Pattern.compile("(?m)^step \\d+/" + STEPS).matcher(text).find()) {
        for (Path f : leftBehind) {
          assertFalse(Files.exists(f), target + ": " + f + " survived the next run");
          assertTrue(text.contains("removed " + f + ", left by a checkpoint write that was interrupted"), text);
        }
        leftBehind.clear();
        if (newest > 0) {
          assertTrue(text.contains("resuming at step " + newest + " of " + STEPS), "resumed from the newest checkpoint ("
              + newest + "): " + text);
        }
      }
      newest = checkCheckpoints(run, target + " kill " + kills);
      for (Path f : hidden(run.resolve("checkpoints"))) {
        assertTrue(f.getFileName().toString().matches("\\.ckpt-\\d+\\.safetensors\\d*\\.tmp"), "unexpected " + f);
        leftBehind.add(f);
      }
      if (!killed && newest == STEPS) {
        // it finished before the kills were done: start over in a fresh folder
        run = run.resolveSibling(run.getFileName() + "-" + attempts);
        newest = 0;
      }
    }
    Path log = dir.resolve(target + "-final.log");
    finish(start(trainArgs(run, checkpointEvery), log), log);
    String text = Files.readString(log);
    if (newest > 0 && newest < STEPS) {
      assertTrue(text.contains("resuming at step " + newest + " of " + STEPS), text);
    }
    assertEquals(List.of(), hidden(run.resolve("checkpoints")), "no temporary file after the last run");
    assertEquals(STEPS, checkCheckpoints(run, target + " final run"));
    try (Safetensors a = Safetensors.open(reference.resolve("checkpoints").resolve(Checkpoints.name(STEPS)));
        Safetensors b = Safetensors.open(run.resolve("checkpoints").resolve(Checkpoints.name(STEPS)))) {
      assertEquals(a.names(), b.names());
      for (String name : a.names()) {
        double[] x = a.readDoubles(name);
        double[] y = b.readDoubles(name);
        for (int i = 0; i < x.length; i++) {
          assertEquals(x[i], y[i], 1e-6, target + ": " + name + "[" + i + "] after " + kills + " kills");
        }
      }
    }
  }

  /** When to kill a run in {@code run}: waits for the moment (or the process's end) and says what it was. */
  interface KillMoment {
    String await(Process p, Random rnd, Path run) throws Exception;
  }

  /** Uniformly within the uninterrupted run's duration, measured from the process's start. */
  static KillMoment anyTime(double seconds) {
    return (p, rnd, run) -> {
      double at = rnd.nextDouble() * seconds;
      p.waitFor((long) (at * 1e6), TimeUnit.MICROSECONDS);
      return String.format("at %.3f s after start", at);
    };
  }

  /**
   * {@code delay} (uniform in [0, maxMillis)) after an entry of {@code folder} matching
   * {@code watched} first appears.
   */
  static String after(Process p, Random rnd, Path folder, Predicate<String> watched, String what, double maxMillis)
      throws InterruptedException {
    {
      double delay = rnd.nextDouble() * maxMillis;
      Set<String> before = new HashSet<>(names(folder));
      while (p.isAlive()) {
        Optional<String> seen = names(folder).stream().filter(n -> watched.test(n) && !before.contains(n)).findFirst();
        if (seen.isPresent()) {
          long until = System.nanoTime() + (long) (delay * 1e6);
          while (System.nanoTime() < until && p.isAlive()) {
            Thread.onSpinWait();
          }
          return String.format("%.3f ms after %s %s appeared", delay, what, seen.get());
        }
        Thread.sleep(0, 200_000);
      }
      return "never: it ended first";
    }
  }

  private static List<String> names(Path folder) {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).toList();
    } catch (IOException e) {
      return List.of(); // not there yet
    }
  }

  @Test
  @Order(1)
  void killedTrainingResumes() throws Exception {
    killTraining("training", dir.resolve("killed-training"), 2, anyTime(referenceSeconds));
  }

  @Test
  @Order(2)
  void killedCheckpointWriteResumes() throws Exception {
    // every step writes a checkpoint; the kill lands within 10 ms of a write's start: while writing
    // (a few ms), renaming, rotating or just after (a 20-kill run hit the writes of ckpt-1 six times and
    // of ckpt-2 to ckpt-6 the other 14: the runs got on between kills)
    killTraining("checkpoint-write", dir.resolve("killed-writes"), 1, (p, rnd, run) ->
        after(p, rnd, run.resolve("checkpoints"), n -> n.endsWith(".tmp"), "the temporary file", 10));
  }

  /** A model's folder as TF Serving sees it: every integer-named folder must be a whole SavedModel. */
  private static void checkServingView(Path model, List<String> complete, String moment) throws IOException {
    for (long v : ServingExport.versions(model)) {
      assertEquals(complete, CrashSafeExportTest.tree(model.resolve(Long.toString(v))),
          "version " + v + " after " + moment + " is a whole SavedModel");
    }
  }

  /** What an interrupted export may leave: .N.tmp-id, .N.link-id, .N.old-id (a real-folder version's) or .N.id. */
  private static final Pattern LEFTOVER = Pattern.compile("\\.(\\d+)\\.((tmp|old|link)-.*|[0-9A-Za-z_]+)");

  private static List<Path> leftovers(Path model) throws IOException {
    return VersionFolders.leftovers(model);
  }

  private void killExports(String target, boolean overwrite) throws Exception {
    Path out = dir.resolve(target);
    Path model = out.resolve("m");
    List<String> export = new ArrayList<>(List.of("export", "--run", reference.toString(), "--out", out.toString(),
        "--name", "m"));
    if (overwrite) {
      export.addAll(List.of("--model-version", "1", "--overwrite"));
    }
    // a first, uninterrupted export: the layout every version must have, and how long writing takes
    Path first = dir.resolve(target + "-first.log");
    Process p = start(export.subList(0, 7), first);
    String seen = after(p, new Random(0), model, n -> n.startsWith(".1.tmp-"), "", 0);
    long t0 = System.nanoTime();
    finish(p, first);
    double writeMillis = (System.nanoTime() - t0) / 1e6 + (overwrite ? 2 * OVERWRITE_PAUSE_MS : 0);
    assertFalse(seen.startsWith("never"), "the export's temporary folder was seen");
    List<String> complete = CrashSafeExportTest.tree(model.resolve("1"));
    assertTrue(complete.contains("saved_model.pb") && complete.contains("variables/variables.index")
        && complete.contains("assets.extra/tf_serving_warmup_requests"), complete.toString());

    Random rnd = new Random(SEED * 31 + target.hashCode());
    List<Path> leftBehind = new ArrayList<>();
    int inLinkWindow = 0;
    String[] jvm = overwrite ? new String[] {"-Dlongshort.test.exportPauseMs=" + OVERWRITE_PAUSE_MS} : new String[0];
    int k = 0;
    for (int attempt = 1; k < KILLS; attempt++) {
      if (attempt > 2 * KILLS + 5) {
        fail(target + ": only " + k + " kills landed in " + attempt + " exports");
      }
      List<Long> versionsBefore = ServingExport.versions(model);
      Path log = dir.resolve(target + "-" + attempt + ".log");
      p = start(export, log, jvm);
      // --overwrite: every other kill aims at the window between the new link's making and its rename
      // onto 1 (widened to OVERWRITE_PAUSE_MS) or just after it, while the replaced folder is deleted
      String when = overwrite && attempt % 2 == 0
          ? after(p, rnd, model, n -> n.startsWith(".1.link-"), "the new version's link", 2 * OVERWRITE_PAUSE_MS)
          : after(p, rnd, model, n -> n.matches("\\.\\d+\\.tmp-.*"), "the version's temporary folder", writeMillis);
      boolean killed = p.isAlive();
      if (killed) {
        kill(p);
        k++;
        System.out.printf("kill %s %d/%d %s (seed %d)%n", target, k, KILLS, when, SEED);
      } else {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(log));
        System.out.printf("no kill %s: the export ended before %s (seed %d)%n", target, when, SEED);
      }
      String text = Files.readString(log);
      for (Path f : leftBehind) {
        assertFalse(Files.exists(f), target + ": " + f + " survived the next export: " + text);
        // "recovered: removed .../.1.tmp-<id>" (or .1.link-<id>, or .1.<id> that no link points to)
        assertTrue(Pattern.compile("(?m)^recovered: .*" + Pattern.quote(f.getFileName().toString())).matcher(text)
            .find(), text);
      }
      leftBehind.clear();
      checkServingView(model, complete, target + " attempt " + attempt);
      List<Long> versions = ServingExport.versions(model);
      if (overwrite) {
        // at any moment of an --overwrite, 1 is there and whole (checkServingView): the old or the new
        assertTrue(versions.contains(1L), "version 1 after " + target + " attempt " + attempt + ": " + versions);
        if (killed && leftovers(model).stream().anyMatch(h -> h.getFileName().toString().startsWith(".1.link-"))) {
          inLinkWindow++; // killed with the new link made and not yet renamed onto 1: the old one served
        }
      } else {
        // a killed export adds its version whole or not at all, and never takes one away
        assertTrue(versions.containsAll(versionsBefore), versionsBefore + " -> " + versions);
        assertTrue(versions.size() <= versionsBefore.size() + 1, versionsBefore + " -> " + versions);
      }
      for (Path h : leftovers(model)) {
        Matcher m = LEFTOVER.matcher(h.getFileName().toString());
        assertTrue(m.matches(), "unexpected " + h);
        leftBehind.add(h);
      }
    }
    Path log = dir.resolve(target + "-final.log");
    finish(start(export, log), log);
    String text = Files.readString(log);
    for (Path f : leftBehind) {
      assertFalse(Files.exists(f), f + " survived the final export");
      assertTrue(text.contains(f.getFileName().toString()), text);
    }
    assertEquals(List.of(), leftovers(model), "nothing hidden is left but the folders the version links point to");
    checkServingView(model, complete, target + " final export");
    assertTrue(ServingExport.versions(model).contains(1L));
    System.out.printf("%s: %d kills, %d of them between the new link's making and its rename onto version 1%n",
        target, KILLS, inLinkWindow);
  }

  @Test
  @Order(3)
  void killedExportLeavesWholeVersions() throws Exception {
    killExports("export", false);
  }

  @Test
  @Order(4)
  void killedOverwriteNeverLosesTheVersion() throws Exception {
    killExports("export-overwrite", true);
  }

  /** Waits until {@code lockFile} names its holder (FolderLock writes it once the lock is taken), or {@code p} ends. */
  private static void awaitHolder(Process p, Path lockFile) throws Exception {
    while (p.isAlive() && !(Files.exists(lockFile) && Files.size(lockFile) > 0)) {
      Thread.sleep(2);
    }
  }

  /** A refused writer: exit status 2, one error line naming the holder's PID, no stack trace. */
  private static void assertRefused(Process b, Path log, String role, Path folder, Process holder) throws Exception {
    assertTrue(b.waitFor(120, TimeUnit.SECONDS), "refused in time: " + Files.readString(log));
    String text = Files.readString(log);
    assertEquals(2, b.exitValue(), text);
    assertTrue(text.contains("error: " + role + " " + folder + " is in use by another writer (pid " + holder.pid()
        + ", started "), text);
    assertFalse(text.contains("\tat "), "no stack trace: " + text);
  }

  /**
   * Two exports to one model folder, each a process: the second is refused while the first holds
   * the folder, and no version is lost: the first publishes its version whole, and an --overwrite of
   * an existing version that is refused leaves it as it was.
   */
  @Test
  @Order(5)
  void twoExportsToOneModelFolderOneIsRefused() throws Exception {
    Path out = dir.resolve("two-exports");
    Path model = out.resolve("m");
    List<String> export = List.of("export", "--run", reference.toString(), "--out", out.toString(), "--name", "m");
    // the first one pauses before publishing until the second was refused (the file "go-N" appears),
    // a minute at most: however long the second one's JVM takes to start, the first still holds the folder
    String pause = "-Dlongshort.test.exportPauseMs=60000";
    Path logA = dir.resolve("two-exports-a.log");
    Path go = dir.resolve("two-exports-go-1");
    Process a = start(export, logA, pause, "-Dlongshort.test.exportPauseUntil=" + go);
    awaitHolder(a, model.resolve(FolderLock.FILE));
    Path logB = dir.resolve("two-exports-b.log");
    assertRefused(start(export, logB), logB, "model folder", model, a);
    assertTrue(a.isAlive(), "the second was refused while the first held the folder");
    Files.createFile(go);
    finish(a, logA);
    assertTrue(Files.readString(logA).contains("as version 1 -> "), Files.readString(logA));
    assertEquals(List.of(1L), ServingExport.versions(model));
    List<String> complete = CrashSafeExportTest.tree(model.resolve("1"));
    assertTrue(complete.contains("saved_model.pb") && complete.contains("variables/variables.index"), complete.toString());
    Path servedBefore = Files.readSymbolicLink(model.resolve("1"));

    // the next export (version 2) holds the folder; an --overwrite of version 1 meanwhile is refused
    go = dir.resolve("two-exports-go-2");
    a = start(export, logA, pause, "-Dlongshort.test.exportPauseUntil=" + go);
    awaitHolder(a, model.resolve(FolderLock.FILE));
    List<String> overwrite = new ArrayList<>(export);
    overwrite.addAll(List.of("--model-version", "1", "--overwrite"));
    assertRefused(start(overwrite, logB), logB, "model folder", model, a);
    assertTrue(a.isAlive());
    Files.createFile(go);
    finish(a, logA);
    assertEquals(List.of(1L, 2L), ServingExport.versions(model));
    assertEquals(servedBefore, Files.readSymbolicLink(model.resolve("1")), "version 1 is the one first exported");
    checkServingView(model, complete, "two exports");
    assertEquals(List.of(), leftovers(model));
  }

  /**
   * Two trainings on one run folder, each a process: the second is refused while the first holds
   * it, and the first ends as a run that was never disturbed (the reference run's weights, one
   * events file).
   */
  @Test
  @Order(6)
  void twoTrainingsOnOneRunOneIsRefused() throws Exception {
    Path run = dir.resolve("two-trainings");
    Path logA = dir.resolve("two-trainings-a.log");
    Process a = start(trainArgs(run, 2), logA);
    awaitHolder(a, run.resolve(FolderLock.FILE));
    Path logB = dir.resolve("two-trainings-b.log");
    Process b = start(trainArgs(run, 2), logB);
    assertRefused(b, logB, "run folder", run, a);
    boolean overlapped = a.isAlive();
    finish(a, logA);
    try (Stream<Path> s = Files.list(run)) {
      assertEquals(1, s.filter(f -> f.getFileName().toString().startsWith("events.out.tfevents.")).count());
    }
    try (Safetensors x = Safetensors.open(reference.resolve("checkpoints").resolve(Checkpoints.name(STEPS)));
        Safetensors y = Safetensors.open(run.resolve("checkpoints").resolve(Checkpoints.name(STEPS)))) {
      for (String name : x.names()) {
        double[] u = x.readDoubles(name);
        double[] v = y.readDoubles(name);
        for (int i = 0; i < u.length; i++) {
          assertEquals(u[i], v[i], 1e-6, name + "[" + i + "]");
        }
      }
    }
    System.out.printf("two trainings: the second refused %s the first ended%n", overlapped ? "before" : "after");
    assertTrue(overlapped, "the second was refused while the first held the run folder");
  }
}
