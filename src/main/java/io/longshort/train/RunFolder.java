package io.longshort.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longshort.io.AtomicFiles;
import io.longshort.io.FolderLock;
import io.longshort.spec.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Session;
import org.tensorflow.proto.GraphDef;

/**
 * A training run's folder: its metadata and the checks that a resume continues the same run, its
 * checkpoints ({@code checkpoints/ckpt-<step>.safetensors}, written and read by
 * {@link Checkpoints}), the best one ({@code best.json}), and its TensorBoard events.
 *
 * <p>Rotation keeps the newest {@code keep} checkpoints; the best one by validation stays besides
 * them, in {@code best/} (out of the rotation), named by {@code best.json}: {@code {"step": N,
 * "file": "ckpt-N.safetensors", "metric": "valid/accuracy", "value": x}} ({@link BestMetric};
 * a file without {@code metric}, from before it was recorded, reads as {@code valid/loss}), written atomically. The TensorBoard events file is created with the first scalar,
 * so a run that fails before its first step leaves none behind.
 *
 * <p>One writer at a time: an opened run folder is locked ({@link FolderLock}) until
 * {@link #close()}; a second training on it is refused at once, naming the first one's PID. The
 * data a run trains on is part of what a resume checks: metadata {@link #DATA} (a
 * {@link io.longshort.io.ContentFingerprint} of its files) must match the checkpoint's; a checkpoint
 * from before data fingerprints resumes with a warning.
 */
public final class RunFolder implements AutoCloseable {
  public static final String CHECKPOINTS = "checkpoints";
  public static final String BEST_FILE = "best.json";
  public static final String BEST_DIR = "best";
  /** The metadata key of the training data's fingerprint (checked on resume when both sides have one). */
  public static final String DATA = "data";

  /** The best evaluation so far and its checkpoint (a file name in {@link #checkpointDir()}). */
  public record Best(long step, String file, String metric, double value) {}

  private final Path dir;
  private final Map<String, String> metadata;
  private final List<String> identity;
  private final FolderLock lock;
  private EventWriter events;
  private GraphDef pendingGraph;

  /**
   * @param metadata everything a checkpoint records about the run (model and optimizer specs,
   *     seed, batch shape, ...)
   * @param identity the keys of {@code metadata} a resume must match: a run with other values is
   *     another run
   */
  private RunFolder(Path dir, Map<String, String> metadata, List<String> identity, FolderLock lock) {
    this.dir = dir;
    this.metadata = Map.copyOf(metadata);
    this.identity = List.copyOf(identity);
    this.lock = lock;
  }

  /**
   * Opens (creating if missing) the run folder {@code dir}, which must be a writable folder, and
   * locks it until {@link #close()}: a folder another process (or another open RunFolder) holds is
   * refused with {@link FolderLock.HeldException}.
   */
  public static RunFolder open(Path dir, Map<String, String> metadata, List<String> identity) throws IOException {
    for (String key : identity) {
      if (!metadata.containsKey(key)) {
        throw new IllegalArgumentException("identity key '" + key + "' is not in the metadata " + metadata.keySet());
      }
    }
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new IOException("run folder " + dir + ": " + p + " is a file, not a folder");
      }
    }
    Files.createDirectories(dir);
    if (!Files.isWritable(dir)) {
      throw new IOException("run folder " + dir + " is not writable");
    }
    return new RunFolder(dir, new LinkedHashMap<>(metadata), identity, FolderLock.acquire(dir, "run folder", "training"));
  }

  /**
   * A run without a folder: nothing is checkpointed, resumed or written for TensorBoard (tests,
   * and a quick image run without {@code --run}).
   */
  public static RunFolder none() {
    return new RunFolder(null, Map.of(), List.of(), null);
  }

  /** Whether this run has a folder (checkpoints, best.json, events); false for {@link #none()}. */
  public boolean persistent() {
    return dir != null;
  }

  public Path dir() {
    return dir;
  }

  public Path checkpointDir() {
    return dir.resolve(CHECKPOINTS);
  }

  /** What every checkpoint of this run records. */
  public Map<String, String> metadata() {
    return metadata;
  }

  public Optional<Path> latest() throws IOException {
    return persistent() ? Checkpoints.latest(checkpointDir()) : Optional.empty();
  }

  /**
   * Restores the newest checkpoint, if any, into {@code variables} and checks that it is this run:
   * every identity key must be equal, or the error names the first field that differs (inside a
   * JSON spec: its path, e.g. {@code optimizer.totalSteps}), both values and the way out.
   *
   * @return the checkpoint restored, or empty for a new run
   */
  public Optional<Path> resume(Session session, List<TrainingVariable> variables) throws IOException {
    // the newest checkpoint whose checksums hold; newer damaged ones are named on stderr
    Optional<Path> latest = persistent() ? Checkpoints.newestIntact(checkpointDir(), System.err::println)
        : Optional.empty();
    if (latest.isPresent()) {
      restore(latest.get(), session, variables);
    }
    return latest;
  }

  /**
   * Before training from {@code step}: damaged checkpoints newer than it are moved aside and the
   * temporary files an interrupted save left are removed, each named on stderr.
   */
  public void prepareResume(long step) throws IOException {
    if (persistent()) {
      Checkpoints.prepareResume(checkpointDir(), step, System.err::println);
    }
  }

  /** Restores {@code checkpoint} (of this run: the identity keys are checked) into {@code variables}. */
  public void restore(Path checkpoint, Session session, List<TrainingVariable> variables) throws IOException {
    checkSameRun(Checkpoints.restore(checkpoint, session, variables), checkpoint.getFileName().toString());
  }

  /** Throws unless {@code saved} (a checkpoint's metadata) has this run's identity values. */
  void checkSameRun(Map<String, String> saved, String checkpoint) {
    for (String key : identity) {
      String mine = metadata.get(key);
      String theirs = saved.get(key);
      if (mine.equals(theirs)) {
        continue;
      }
      String[] diff = theirs == null ? new String[] {key, "nothing", mine} : difference(key, theirs, mine);
      throw new IllegalArgumentException("run folder " + dir + " holds another run: its " + diff[0] + " is "
          + diff[1] + " (" + checkpoint + "), this run's is " + diff[2] + "; to resume it, give the same settings"
          + " as it was started with; to train with these, use a new run folder");
    }
    checkSameData(saved.get(DATA), checkpoint);
  }

  /**
   * Throws unless the checkpoint's data fingerprint is this run's; a checkpoint without one (written
   * before data fingerprints) resumes with a warning, and a run given none checks nothing.
   */
  private void checkSameData(String theirs, String checkpoint) {
    String mine = metadata.get(DATA);
    if (mine == null || mine.equals(theirs)) {
      return;
    }
    if (theirs == null) {
      System.err.println("warning: run folder " + dir + ": " + checkpoint + " records no data fingerprint (written"
          + " before runs recorded one), so resuming cannot check that the data is the same; this data is " + mine);
      return;
    }
    throw new IllegalArgumentException("run folder " + dir + " was trained on other data: its data fingerprint is "
        + theirs + " (" + checkpoint + "), this data's is " + mine + "; to resume it, give the data it was started"
        + " with; to train on this data, use a new run folder");
  }

  /** The first differing field of two values, as {path, old, new}: JSON objects are compared field by field. */
  private static String[] difference(String path, String before, String now) {
    try {
      JsonNode a = Json.MAPPER.readTree(before);
      JsonNode b = Json.MAPPER.readTree(now);
      if (a != null && b != null && a.isObject() && b.isObject()) {
        String[] d = difference(path, a, b);
        if (d != null) {
          return d;
        }
      }
    } catch (IOException e) {
      // not JSON: compare as text
    }
    return new String[] {path, before, now};
  }

  private static String[] difference(String path, JsonNode a, JsonNode b) {
    if (a.equals(b)) {
      return null;
    }
    if (!a.isObject() || !b.isObject()) {
      return new String[] {path, a.toString(), b.toString()};
    }
    Set<String> names = new java.util.LinkedHashSet<>();
    a.fieldNames().forEachRemaining(names::add);
    b.fieldNames().forEachRemaining(names::add);
    for (String name : names) {
      JsonNode x = a.get(name);
      JsonNode y = b.get(name);
      if (x == null || y == null) {
        return new String[] {path + "." + name, x == null ? "not set" : x.toString(), y == null ? "not set" : y.toString()};
      }
      String[] d = difference(path + "." + name, x, y);
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  /**
   * Writes the checkpoint of {@code step} through {@link Checkpoints} (whole or absent), keeping
   * the newest {@code keep} in {@link #checkpointDir()}.
   */
  public Path save(long step, Session session, List<TrainingVariable> variables, int keep) throws IOException {
    return Checkpoints.save(checkpointDir(), step, session, variables, metadata, keep);
  }

  /** Where the best checkpoint lives: beside {@link #checkpointDir()}, out of its rotation. */
  public Path bestDir() {
    return dir.resolve(BEST_DIR);
  }

  /**
   * Writes the state of {@code step} as the best checkpoint by {@code metric} into
   * {@link #bestDir()} (through {@link Checkpoints}), then {@code best.json} (atomically), then
   * deletes the previous best: a kill at any moment leaves best.json naming a whole file.
   */
  public Path saveBest(long step, Session session, List<TrainingVariable> variables, String metric, double value)
      throws IOException {
    Path file = Checkpoints.save(bestDir(), step, session, variables, metadata, Integer.MAX_VALUE);
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("step", step);
    n.put("file", file.getFileName().toString());
    n.put("metric", metric);
    n.put("value", value);
    AtomicFiles.writeString(dir.resolve(BEST_FILE), Json.MAPPER.writer().writeValueAsString(n) + "\n");
    for (Path old : Checkpoints.list(bestDir())) {
      if (!old.equals(file)) {
        Files.deleteIfExists(old);
      }
    }
    return file;
  }

  /** The best evaluation recorded so far ({@code best.json}), if any. */
  public Optional<Best> best() throws IOException {
    if (!persistent()) {
      return Optional.empty();
    }
    Path f = dir.resolve(BEST_FILE);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    JsonNode n = Json.readTree(f);
    for (String field : List.of("step", "file", "value")) {
      if (n == null || !n.has(field)) {
        throw new IOException(f + ": no \"" + field + "\" field; expected {\"step\": N, \"file\": \"ckpt-N.safetensors\","
            + " \"metric\": name, \"value\": x}");
      }
    }
    // best.json files written before the metric was recorded kept the lowest validation loss
    String metric = n.has("metric") ? n.get("metric").asText() : BestMetric.LOSS.tag();
    return Optional.of(new Best(n.get("step").asLong(), n.get("file").asText(), metric, n.get("value").asDouble()));
  }

  /** {@link #resolveCheckpoint(Path, String)} in this run folder. */
  public Path resolveCheckpoint(String which) throws IOException {
    return resolveCheckpoint(dir, which);
  }

  /**
   * A checkpoint of the run folder {@code runDir} named by {@code which}: {@code best} (the one
   * {@code best.json} names), {@code latest} (the newest), a step number ({@code ckpt-<step>}), or
   * the path of a checkpoint file.
   */
  public static Path resolveCheckpoint(Path runDir, String which) throws IOException {
    Path checkpoints = runDir == null ? null : runDir.resolve(CHECKPOINTS);
    if (which == null || which.isBlank()) {
      throw new IllegalArgumentException("checkpoint (" + which + ") must be best, latest, a step number or a file");
    }
    if (which.equals("best") || which.equals("latest") || which.matches("[0-9]+")) {
      if (runDir == null) {
        throw new IllegalArgumentException("checkpoint '" + which + "' names a checkpoint of a run folder; give the run"
            + " folder, or the path of a checkpoint file");
      }
      Path file;
      if (which.equals("best")) {
        Path bestFile = runDir.resolve(BEST_FILE);
        if (!Files.exists(bestFile)) {
          throw new IOException("checkpoint 'best': run folder " + runDir + " has no " + BEST_FILE
              + " (it records the best validation checkpoint once the run has evaluated); use latest or a step");
        }
        Best b = new RunFolder(runDir, Map.of(), List.of(), null).best().orElseThrow();
        file = runDir.resolve(BEST_DIR).resolve(b.file());
      } else if (which.equals("latest")) {
        // the newest checkpoint whose checksums hold; newer damaged ones are named on stderr
        file = Checkpoints.newestIntact(checkpoints, System.err::println).orElseThrow(() ->
            new IllegalArgumentException("checkpoint 'latest': run folder " + runDir + " has no intact checkpoints in "
                + checkpoints));
      } else {
        file = checkpoints.resolve("ckpt-" + Long.parseLong(which) + ".safetensors");
      }
      if (!Files.isRegularFile(file)) {
        throw new IOException("checkpoint '" + which + "': " + file + " does not exist; the run folder has "
            + Checkpoints.list(checkpoints).stream().map(p -> p.getFileName().toString()).toList());
      }
      Checkpoints.verify(file); // a checkpoint named outright is used only when its checksums hold
      return file;
    }
    Path file = Path.of(which);
    if (!file.isAbsolute() && runDir != null && !Files.exists(file) && Files.exists(checkpoints.resolve(which))) {
      file = checkpoints.resolve(which);
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException("checkpoint '" + which + "' is not best, latest, a step number or an existing file");
    }
    return file;
  }

  /** The graph for TensorBoard's graph view, written with the events file when it is created. */
  public void graph(GraphDef graph) {
    pendingGraph = graph;
  }

  /** One scalar for TensorBoard; the first creates this session's events file. */
  public void scalar(String tag, long step, double value) throws IOException {
    if (!persistent()) {
      return;
    }
    if (events == null) {
      events = new EventWriter(dir);
      if (pendingGraph != null) {
        events.graph(pendingGraph);
        pendingGraph = null;
      }
    }
    events.scalar(tag, step, value);
  }

  /** Closes the folder after {@code failure} (a constructor's), adding what closing threw to it. */
  public void closeAfter(Throwable failure) {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** Closes the events file and releases the folder's lock. */
  @Override
  public void close() throws IOException {
    try {
      if (events != null) {
        events.close();
        events = null;
      }
    } finally {
      if (lock != null) {
        lock.close();
      }
    }
  }
}
