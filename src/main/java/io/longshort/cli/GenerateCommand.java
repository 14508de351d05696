package io.longshort.cli;

import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.ModelGraph;
import io.longshort.spec.Json;
import io.longshort.spec.ModelSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Generates text with a byte-level language model, the decode loop running inside the graph. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generates bytes after a prompt with a language model: the same in-graph While loop as the"
        + " SavedModel's 'generate' signature (incremental decoding, cost per token bounded by the window"
        + " and the number of segments). Prints one JSON line per sample: prompt, text (the new bytes as"
        + " UTF-8), and the time per step (plus prompt_hex and text_hex where those bytes are not UTF-8). Row r"
        + " samples with --seed + r."
        + " --spec with no weights uses seeded random weights (benchmarks). Security: --bundle and --run"
        + " read weights only, but a SavedModel (predict, inspect) is a program: load none from an"
        + " untrusted source.")
final class GenerateCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec command;

  @Mixin
  ModelSourceOptions model;

  @Option(names = "--prompt", description = "Prompt text, fed as its UTF-8 bytes (repeatable: one row each; default:"
      + " a newline). For bytes that are not UTF-8 use --prompt-hex or --prompt-file: the command line decodes"
      + " arguments as text, and a byte that is not UTF-8 arrives as U+FFFD, which is refused here.")
  List<String> prompts;

  @Option(names = "--prompt-hex", paramLabel = "HEX", description = "A prompt as hexadecimal bytes, e.g. 5b4d4158ff0a"
      + " (repeatable: one row each, after the --prompt rows).")
  List<String> hexPrompts;

  @Option(names = "--prompt-file", paramLabel = "FILE", description = "A prompt as the raw bytes of a file"
      + " (repeatable: one row each, after the --prompt-hex rows).")
  List<Path> promptFiles;

  @Option(names = "--samples", defaultValue = "1", description = "Rows per prompt (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--max-new", defaultValue = "100", description = "New bytes per row (default: ${DEFAULT-VALUE}).")
  int maxNew;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k likeliest bytes; 0 = all (default: ${DEFAULT-VALUE}).")
  int topK;

  // the sampling seed of the first row; row r gets seed + r, as the command's description says
  @Mixin
  SeedOption seed = SeedOption.defaultingTo(0);

  @Option(names = "--weights-seed", defaultValue = "0", description = "With --spec: the random weights' seed (default: ${DEFAULT-VALUE}).")
  long weightsSeed;

  @Option(names = "--capacity", description = "Positions per row, prompt and new bytes (default: the model's maxLength).")
  Integer capacity;

  @Option(names = "--repeat", defaultValue = "1", description = "Run the loop this many times and report the fastest (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--out", description = "Also write the JSON lines to this file.")
  Path out;

  @Override
  public Integer call() throws IOException {
    PrintWriter o = command.commandLine().getOut();
    ModelSourceOptions.Resolved source = model.resolve();
    ModelSpec spec = source.spec();
    if (capacity != null) {
      OptionChecks.atLeast("--capacity", capacity, 1);
      // the exported signature uses maxLength; a benchmark may ask for another capacity
      try {
        spec = spec.withMaxLength(capacity);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--capacity (" + capacity + "): " + e.getMessage(), e);
      }
    }
    OptionChecks.atLeast("--samples", samples, 1);
    OptionChecks.atLeast("--max-new", maxNew, 1);
    OptionChecks.atLeast("--repeat", repeat, 1);
    OptionChecks.nonNegativeFinite("--temperature", temperature);
    OptionChecks.atLeast("--top-k", topK, 0);
    List<byte[]> rows = new ArrayList<>();
    for (byte[] b : PromptBytes.of(prompts, hexPrompts, promptFiles)) {
      for (int i = 0; i < samples; i++) {
        rows.add(b);
      }
    }
    int p = rows.stream().mapToInt(b -> b.length).max().orElseThrow();
    if (p + maxNew > spec.maxLength()) {
      throw new IllegalArgumentException("prompt (" + p + " bytes) + --max-new (" + maxNew + ") exceed the capacity ("
          + spec.maxLength() + " positions)");
    }
    checkCacheSize(spec, rows.size(), capacity != null ? "--capacity" : "the model's maxLength");
    int[] ids = new int[rows.size() * p];
    int[] lengths = new int[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      byte[] b = rows.get(r);
      lengths[r] = b.length;
      for (int j = 0; j < b.length; j++) {
        ids[r * p + j] = b[j] & 0xff;
      }
    }
    try (ModelGraph<TFloat32> g = ModelGraph.builder(spec).setDtype(TFloat32.class).setBatch(-1).setLength(1)
        .optSeed(weightsSeed).build()) {
      source.loadWeights(g); // none: --spec alone runs seeded random weights
      var sig = g.generateSignature(null);
      Map<String, Operand<?>> in = sig.inputs();
      int[] generated = null;
      long best = Long.MAX_VALUE;
      for (int rep = 0; rep < repeat; rep++) {
        try (Tensor pt = HostTensors.ints(new long[] {rows.size(), p}, ids);
            Tensor lt = HostTensors.ints(new long[] {rows.size()}, lengths);
            Tensor mt = HostTensors.ints(new long[] {rows.size()}, filled(rows.size(), maxNew));
            Tensor tt = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(rows.size()), d -> {
              for (int r = 0; r < rows.size(); r++) {
                d.setFloat(temperature, r);
              }
            });
            Tensor kt = HostTensors.ints(new long[] {rows.size()}, filled(rows.size(), topK));
            Tensor st = TInt64.tensorOf(org.tensorflow.ndarray.Shape.of(rows.size()), d -> {
              // one seed per row: rows of one prompt differ, and a row's tokens do not depend on the batch
              for (int r = 0; r < rows.size(); r++) {
                d.setLong(seed.value() + r, r);
              }
            })) {
          long t0 = System.nanoTime();
          try (Result res = g.session().runner().feed(in.get("prompt_ids"), pt).feed(in.get("prompt_lengths"), lt)
              .feed(in.get("max_new_tokens"), mt).feed(in.get("temperature"), tt).feed(in.get("top_k"), kt)
              .feed(in.get("seed"), st).fetch(sig.outputs().get("new_tokens")).run()) {
            best = Math.min(best, System.nanoTime() - t0);
            generated = HostTensors.toInts(res.get(0));
          }
        }
      }
      // the loop feeds positions 0 .. p + maxNew - 2: one decode step each
      int steps = p + maxNew - 1;
      List<String> lines = new ArrayList<>();
      for (int r = 0; r < rows.size(); r++) {
        byte[] b = new byte[maxNew];
        for (int j = 0; j < maxNew; j++) {
          b[j] = (byte) generated[r * maxNew + j];
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("prompt", new String(rows.get(r), StandardCharsets.UTF_8));
        line.put("text", new String(b, StandardCharsets.UTF_8));
        if (!PromptBytes.isUtf8(rows.get(r))) {
          line.put("prompt_hex", PromptBytes.hex(rows.get(r)));
        }
        if (!PromptBytes.isUtf8(b)) {
          line.put("text_hex", PromptBytes.hex(b));
        }
        line.put("steps", steps);
        line.put("capacity", spec.maxLength());
        line.put("ms_per_step", best / 1e6 / steps);
        lines.add(Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
            .writeValueAsString(line));
      }
      lines.forEach(o::println);
      if (out != null) {
        io.longshort.io.AtomicFiles.writeString(out, String.join("\n", lines) + "\n");
      }
    }
    o.flush();
    return 0;
  }

  private static int[] filled(int n, int value) {
    int[] a = new int[n];
    java.util.Arrays.fill(a, value);
    return a;
  }

  /**
   * The decode cache holds keys and values of every layer for every row and position: (B, H,
   * capacity, K) twice per layer. Refused before any graph is built when it cannot be held.
   */
  static void checkCacheSize(ModelSpec spec, int rows, String option) {
    long perLayer = io.longshort.spec.SizeLimits.checkElements(option, spec.maxLength(),
        "decode cache of one layer (rows " + rows + ", capacity, width " + spec.width() + ")",
        rows, spec.maxLength(), spec.width());
    io.longshort.spec.SizeLimits.checkMachineMemory(option, spec.maxLength(), "the decode cache (keys and values of "
        + spec.layers() + " layers, float32)", io.longshort.spec.SizeLimits.elements(perLayer, 2L * spec.layers(), 4));
  }
}
