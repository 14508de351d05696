package io.longshort.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.longshort.spec.Json;
import io.longshort.train.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves {@code --checkpoint best|latest|STEP|PATH} against a run's checkpoint folder, which holds
 * {@code ckpt-<step>.safetensors} files and {@code best.json} = {"step": N, "file":
 * "ckpt-N.safetensors", "metric": name, "value": x} (the run-folder format agreed for issue 13).
 *
 * <p>A stand-in for {@code RunFolder.resolveCheckpoint(String)} of the training package, which
 * owns the run folder: when that lands, {@link #resolve} becomes a call to it.
 */
final class CheckpointChoice {
  static final String BEST = "best";
  static final String LATEST = "latest";
  static final String BEST_FILE = "best.json";

  private CheckpointChoice() {}

  /** The checkpoint file {@code choice} names in {@code dir}, checked to exist. */
  static Path resolve(Path dir, String choice) throws IOException {
    if (choice == null || choice.equals(LATEST)) {
      // the newest checkpoint whose checksums hold; damaged newer ones are named on stderr
      Path newest = Checkpoints.newestIntact(dir, System.err::println).orElseThrow(() ->
          new IllegalArgumentException("--checkpoint latest: " + dir + " holds no intact ckpt-<step>.safetensors"));
      System.err.flush();
      return newest;
    }
    if (choice.equals(BEST)) {
      Path best = dir.resolve(BEST_FILE);
      if (!Files.isRegularFile(best)) {
        throw new IllegalArgumentException("--checkpoint best: " + best + " does not exist (the run has not been"
            + " validated yet, or was written before best checkpoints were kept); use latest or a step");
      }
      JsonNode node;
      try {
        node = Json.MAPPER.readTree(Files.readString(best));
      } catch (IOException e) {
        throw new IllegalArgumentException("--checkpoint best: " + best + " is not valid JSON: " + e.getMessage(), e);
      }
      JsonNode file = node.get("file");
      if (file == null || !file.isTextual()) {
        throw new IllegalArgumentException("--checkpoint best: " + best + " has no \"file\" (ckpt-<step>.safetensors)");
      }
      return verified(existing(dir.resolve(file.asText()), "--checkpoint best (" + best + ")"));
    }
    if (choice.matches("\\d+")) {
      return verified(existing(dir.resolve(Checkpoints.name(Long.parseLong(choice))), "--checkpoint " + choice));
    }
    return existing(Path.of(choice), "--checkpoint (" + choice + ")");
  }

  /** Whether {@code choice} names a checkpoint by its place in a run (needs a run folder) rather than a path. */
  static boolean needsRun(String choice) {
    return choice.equals(BEST) || choice.equals(LATEST) || choice.matches("\\d+");
  }

  /** A checkpoint named outright is used only when its checksums hold. */
  private static Path verified(Path file) throws IOException {
    Checkpoints.verify(file);
    return file;
  }

  private static Path existing(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + ": " + file + " does not exist; the choices are best, latest, a"
          + " step number or a checkpoint file");
    }
    return file;
  }
}
