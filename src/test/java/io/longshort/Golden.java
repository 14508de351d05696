package io.longshort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the authors' golden outputs live: ../shared/golden beside the checkout (or -Dlongshort.golden). */
public final class Golden {
  private Golden() {}

  public static Path dir() {
    String configured = System.getProperty("longshort.golden", System.getenv("LONGSHORT_GOLDEN"));
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "shared", "golden");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("golden folder " + dir.toAbsolutePath() + " not found; it must sit"
          + " beside the checkout as ../shared/golden, or be named with -Dlongshort.golden=PATH");
    }
    return dir;
  }

  /** Our own extra golden cases (made with the authors' code by scripts/make_golden_models.py). */
  public static Path fixtures() {
    return Path.of("tests", "fixtures", "golden");
  }

  /** Every case: ../shared/golden/lra and tests/fixtures/golden. */
  public static List<Path> allCases() throws IOException {
    List<Path> all = new java.util.ArrayList<>(cases(""));
    if (Files.isDirectory(fixtures())) {
      try (Stream<Path> files = Files.list(fixtures())) {
        files.filter(p -> p.toString().endsWith(".safetensors")).sorted().forEach(all::add);
      }
    }
    return all;
  }

  /** The cases among {@code files} that hold a whole model (their expected output is logits). */
  public static List<Path> modelCases(List<Path> files) throws IOException {
    List<Path> models = new java.util.ArrayList<>();
    for (Path p : files) {
      try (io.longshort.weights.Safetensors st = io.longshort.weights.Safetensors.open(p)) {
        if (st.contains("output.logits")) {
          models.add(p);
        }
      }
    }
    return models;
  }

  /** The model a case's metadata describes, in the authors' config and module names. */
  public static io.longshort.spec.ModelSpec modelSpec(io.longshort.weights.Safetensors st) throws IOException {
    return io.longshort.spec.AuthorsConfig.modelSpec(
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(st.metadata().get("config")),
        st.metadata().get("module"));
  }

  /** A case's inputs (input.ids_0, input.mask_0, ...) under the model's input names. */
  public static java.util.Map<String, int[]> modelInputs(io.longshort.weights.Safetensors st,
      io.longshort.spec.ModelSpec spec) throws IOException {
    java.util.Map<String, int[]> in = new java.util.LinkedHashMap<>();
    boolean towers = spec.task() == io.longshort.spec.Task.RETRIEVAL;
    for (String tower : towers ? new String[] {"0", "1"} : new String[] {"0"}) {
      String suffix = towers ? "_" + tower : "";
      in.put("input_ids" + suffix, st.readInts("input.ids_" + tower));
      in.put("mask" + suffix, st.readInts("input.mask_" + tower));
    }
    return in;
  }

  /** The golden cases under lra/ whose file name starts with {@code prefix}, sorted. */
  public static List<Path> cases(String prefix) throws IOException {
    return cases("lra", prefix);
  }

  /** The golden cases under {@code folder}/ (lra, baselines, ...) whose file name starts with {@code prefix}, sorted. */
  public static List<Path> cases(String folder, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir().resolve(folder))) {
      List<Path> found = files
          .filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> p.getFileName().toString().endsWith(".safetensors"))
          .sorted()
          .toList();
      if (found.isEmpty()) {
        throw new IllegalStateException("no golden cases '" + prefix + "*.safetensors' in " + dir().resolve(folder));
      }
      return found;
    }
  }
}
