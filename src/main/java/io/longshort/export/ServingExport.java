package io.longshort.export;

import io.longshort.io.TfRecords;
import io.longshort.io.AtomicFiles;
import io.longshort.io.FolderLock;
import io.longshort.io.OwnedFiles;
import io.longshort.graph.core.HostTensors;
import io.longshort.graph.model.GenerateSignature;
import io.longshort.io.HostArray;
import io.longshort.graph.model.GeneratingModel;
import io.longshort.graph.model.ServableModel;
import io.longshort.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.family.TFloating;

/**
 * TF Serving's layout: {@code <root>/<name>/<version>/} holds a SavedModel
 * ({@link SavedModelWriter}) and {@code assets.extra/}:
 * <ul>
 *   <li>{@code tf_serving_warmup_requests}: a TFRecord file of PredictionLog records, which TF
 *       Serving replays when it loads the version: a PredictRequest for the model's example
 *       signature (serving_default unless the model says otherwise,
 *       {@link ServableModel#exampleSignature()}) with example inputs, then one per text signature
 *       ({@link #textWarmup}: a ClassificationRequest for {@code classify});
 *   <li>{@code example.safetensors}: the same inputs ({@code input.<name>}) and the outputs this
 *       JVM computed for them ({@code output.<name>}), for checks in other tools.
 * </ul>
 * A version is written into a hidden temporary folder next to it and renamed into place, so TF
 * Serving (which only loads integer folder names) never sees a half-written version. The root
 * also gets {@code models.config} (every model under it) and {@code batching_parameters.txt}.
 *
 * <p>One export per model folder at a time: it is locked ({@link FolderLock}) while an export
 * repairs, writes and publishes, so a second one is refused at once instead of taking the first
 * one's folders for leftovers. A version records its files ({@link OwnedFiles}); --overwrite
 * replaces only a version whose files are all export's, unchanged.
 */
public final class ServingExport {
  public static final String ASSETS_EXTRA = "assets.extra";
  public static final String WARMUP_FILE = "tf_serving_warmup_requests";
  public static final String EXAMPLE_FILE = "example.safetensors";
  public static final String MODELS_CONFIG = "models.config";
  public static final String BATCHING_FILE = "batching_parameters.txt";
  /** The writer {@link OwnedFiles} records for a version's files. */
  static final String WRITER = "export";
  /** Rows in the warm-up request and the example file. */
  public static final int EXAMPLE_BATCH = 2;

  /** Test hook: runs after a version is written and before it is renamed into place. */
  static volatile Runnable beforePublish = () -> {};

  private ServingExport() {}

  /**
   * @param recovered what was repaired or cleaned up from interrupted exports first, one line each
   */
  public record Result(Path versionDir, long version, List<String> recovered) {}

  /**
   * Exports {@code model} as {@code <root>/<name>/<version>}: the SavedModel with the signatures
   * the model declares, a warm-up request of its example inputs and the example file (its inputs
   * and its example signature's outputs).
   *
   * @param version the version, or null for one more than the highest existing one (1 if none)
   * @param overwrite replace an existing version folder (else refuse it)
   */
  static <T extends TFloating> Result export(ServableModel<T> model, Path root, String name, Long version,
      boolean overwrite, long seed) throws IOException {
    return export(model, root, name, version, overwrite, seed, ExportOptions.PLAIN, note -> {});
  }

  /** {@link #export(ServableModel, Path, String, Long, boolean, long, ExportOptions, java.util.function.Consumer)}, quietly. */
  static <T extends TFloating> Result export(ServableModel<T> model, Path root, String name, Long version,
      boolean overwrite, long seed, ExportOptions options) throws IOException {
    return export(model, root, name, version, overwrite, seed, options, note -> {});
  }

  /**
   * Like {@link #export(ServableModel, Path, String, Long, boolean, long)}, the signatures computed
   * as {@code options} says ({@link ExportOptions}); the example file holds what the model's plain
   * graph computes, so loaders of the version compare the served path with it. {@code recovered}
   * is told at once what was repaired or removed of interrupted exports (also listed in the result).
   */
  static <T extends TFloating> Result export(ServableModel<T> model, Path root, String name, Long version,
      boolean overwrite, long seed, ExportOptions options, java.util.function.Consumer<String> recovered)
      throws IOException {
    try (FolderLock lock = lockModel(root, name, version)) {
      return export(lock, model, root, name, version, overwrite, seed, options, recovered);
    }
  }

  /**
   * Locks the model folder {@code <root>/<name>} (created if missing) for an export of
   * {@code version} (null: the next), or refuses at once naming the export that holds it. A command
   * takes it before building its model, so that a second export is refused in milliseconds.
   */
  public static FolderLock lockModel(Path root, String name, Long version) throws IOException {
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new IllegalArgumentException("model name '" + name + "' must be letters, digits, '_', '.', '-'");
    }
    return FolderLock.acquire(root.resolve(name), "model folder", "export of version "
        + (version != null ? version : "(next)"));
  }

  /**
   * {@link #export(ServableModel, Path, String, Long, boolean, long, ExportOptions, java.util.function.Consumer)}
   * holding {@code lock}, the model folder's ({@link #lockModel}): it covers the repair of
   * interrupted exports, the version's choice and its publishing.
   */
  static <T extends TFloating> Result export(FolderLock lock, ServableModel<T> model, Path root, String name,
      Long version, boolean overwrite, long seed, ExportOptions options,
      java.util.function.Consumer<String> recovered) throws IOException {
    Path modelDir = root.resolve(name);
    if (!Files.isDirectory(modelDir) || !lock.file().getParent().equals(modelDir.toRealPath())) {
      throw new IllegalArgumentException("the lock given (" + lock.file() + ") is not model folder " + modelDir + "'s");
    }
    List<String> repaired = new ArrayList<>();
    // before counting versions: an interrupted --overwrite may have hidden one
    repaired.addAll(InterruptedExports.recover(modelDir));
    repaired.forEach(recovered);
    long v = version != null ? version : nextVersion(modelDir);
    if (v < 1) {
      throw new IllegalArgumentException("version (" + v + ") must be >= 1");
    }
    Path dir = modelDir.resolve(Long.toString(v));
    checkReplaceable(dir, overwrite);
    Path tmp = Files.createTempDirectory(modelDir, InterruptedExports.tmpPrefix(v));
    try {
      SavedModelWriter.write(model, tmp, options);
      Path extra = tmp.resolve(ASSETS_EXTRA);
      Files.createDirectories(extra);
      Map<String, HostArray> inputs = model.exampleInputs(EXAMPLE_BATCH, seed);
      writeExample(model, inputs, extra.resolve(EXAMPLE_FILE));
      Map<String, TensorProto> protos = new LinkedHashMap<>();
      inputs.forEach((k, a) -> protos.put(k, TensorProtos.of(a)));
      List<byte[]> warmup = new ArrayList<>();
      warmup.add(ServingProtos.predictionLog(new ServingProtos.PredictRequest(name, v, model.exampleSignature(), protos)));
      if (model instanceof io.longshort.graph.model.TokenServable<T> mg) {
        warmup.addAll(textWarmup(mg, options, name, v));
      }
      TfRecords.write(extra.resolve(WARMUP_FILE), warmup);
      // what a later --overwrite of this version may replace
      OwnedFiles.recordAll(tmp, WRITER);
      publishPermissions(tmp);
      beforePublish.run();
      publish(modelDir, v, tmp, dir);
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
    }
    List<String> configs = updateServerConfigs(root, null);
    configs.forEach(recovered);
    repaired.addAll(configs);
    return new Result(dir, v, List.copyOf(repaired));
  }

  /**
   * The warm-up records of the text signatures ({@link TextSignatures}), two example texts each
   * (a graph with a static batch: that many, the two repeated):
   * a PredictRequest per string signature and, for classifiers, a ClassificationRequest of
   * tf.Example protos for {@code classify}, as TF Serving's classifier takes them.
   */
  static <T extends TFloating> List<byte[]> textWarmup(io.longshort.graph.model.TokenServable<T> model,
      ExportOptions options, String name, long v) {
    TextSignatures.Text text = TextSignatures.build(model, options, SavedModelWriter.VOCABULARY_ASSET);
    if (text.signatures().isEmpty()) {
      return List.of();
    }
    List<String> texts = TextSignatures.exampleTexts(text.tokenizer(), model.requestRows());
    List<byte[]> records = new ArrayList<>();
    for (Map.Entry<String, io.longshort.graph.model.ServableModel.Signature> sig : text.signatures().entrySet()) {
      if (sig.getKey().equals(TextSignatures.CLASSIFY)) {
        List<String> features = TextSignatures.features(model.task(), options.textFeature());
        List<byte[]> examples = new ArrayList<>();
        for (String t : texts) {
          org.tensorflow.proto.Features.Builder f = org.tensorflow.proto.Features.newBuilder();
          features.forEach(k -> f.putFeature(k, org.tensorflow.proto.Feature.newBuilder().setBytesList(
              org.tensorflow.proto.BytesList.newBuilder().addValue(com.google.protobuf.ByteString.copyFromUtf8(t)))
              .build()));
          examples.add(org.tensorflow.proto.Example.newBuilder().setFeatures(f).build().toByteArray());
        }
        records.add(ServingProtos.classificationLog(new ServingProtos.ClassificationRequest(name, v, sig.getKey(),
            examples)));
      } else {
        Map<String, TensorProto> in = new LinkedHashMap<>();
        for (String input : sig.getValue().inputs().keySet()) {
          TensorProto.Builder p = TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_STRING)
              .setTensorShape(org.tensorflow.proto.TensorShapeProto.newBuilder().addDim(
                  org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(texts.size())));
          texts.forEach(t -> p.addStringVal(com.google.protobuf.ByteString.copyFromUtf8(t)));
          in.put(input, p.build());
        }
        records.add(ServingProtos.predictionLog(new ServingProtos.PredictRequest(name, v, sig.getKey(), in)));
      }
    }
    return records;
  }

  /**
   * Throws unless version folder {@code dir} may be written: absent, or with {@code overwrite} a
   * version that export wrote (its {@link OwnedFiles} marker lists every file, unchanged).
   */
  public static void checkReplaceable(Path dir, boolean overwrite) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!overwrite) {
      throw new IllegalArgumentException(dir + " exists; choose another --model-version or replace it (--overwrite)");
    }
    OwnedFiles.checkFolderReplaceable(dir, WRITER, "--model-version");
  }

  /**
   * Rewrites {@code models.config} and {@code batching_parameters.txt} of {@code root}
   * ({@link #writeServerConfigs}) under the root's lock, which exports of other models under the
   * same root share; first removes the temporary files a killed write of them left, which only this
   * lock's holder can tell from a live writer's. Returns one line per file removed.
   */
  public static List<String> updateServerConfigs(Path root, String basePath) throws IOException {
    try (FolderLock lock = FolderLock.acquireWaiting(root, "model root", "writing " + MODELS_CONFIG)) {
      List<String> removed = InterruptedExports.removeConfigLeftovers(root);
      writeServerConfigs(root, basePath);
      return removed;
    }
  }

  /**
   * Publishes the finished {@code tmp} as version {@code v}: renamed to its hidden real folder
   * {@code .v.<id>}, then a link {@code .v.link-<id>} to it renamed onto {@code dir}. rename(2)
   * replaces an existing link atomically, so an --overwrite never leaves {@code dir} missing or
   * pointing at a partial version; the replaced folder is deleted after. A {@code dir} that is a real
   * folder (an export from before version links) cannot be renamed over: it is moved aside first,
   * the one time such a version is replaced, and the next export restores it if a kill lands in
   * between ({@link InterruptedExports}).
   */
  private static void publish(Path modelDir, long v, Path tmp, Path dir) throws IOException {
    Path target = modelDir.resolve(InterruptedExports.targetName(v, tmp));
    Path link = modelDir.resolve(InterruptedExports.linkName(v, tmp));
    Path replaced = InterruptedExports.linkTarget(dir);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    try {
      // relative, so the model folder still works moved or mounted elsewhere (TF Serving's container)
      Files.createSymbolicLink(link, target.getFileName());
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isSymbolicLink(dir)) {
        Path old = modelDir.resolve(InterruptedExports.oldName(v, tmp));
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        InterruptedExports.pause();
        Files.move(link, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        return;
      }
      InterruptedExports.pause();
      Files.move(link, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      // not published: nothing of this export stays (a kill instead leaves it to the next export)
      Files.deleteIfExists(link);
      if (!target.getFileName().equals(InterruptedExports.linkTarget(dir))) {
        deleteTree(target);
      }
      throw e;
    }
    if (replaced != null && Files.isDirectory(modelDir.resolve(replaced), LinkOption.NOFOLLOW_LINKS)) {
      deleteTree(modelDir.resolve(replaced));
    }
  }

  /** One more than the highest integer folder under {@code modelDir}; 1 when there is none. */
  public static long nextVersion(Path modelDir) throws IOException {
    long highest = versions(modelDir).stream().mapToLong(Long::longValue).max().orElse(0);
    if (highest == Long.MAX_VALUE) {
      throw new IllegalArgumentException(modelDir + " holds version " + highest + ", the largest int64: there is no"
          + " next version; give --model-version (a free one below it)");
    }
    return highest + 1;
  }

  public static List<Long> versions(Path modelDir) throws IOException {
    List<Long> out = new ArrayList<>();
    if (!Files.isDirectory(modelDir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(modelDir)) {
      for (Path p : s.toList()) {
        String f = p.getFileName().toString();
        // int64, as TF Serving reads versions: 19 digits up to Long.MAX_VALUE; a larger number is no version
        if (Files.isDirectory(p) && f.matches("[0-9]{1,19}")) {
          try {
            out.add(Long.parseLong(f));
          } catch (NumberFormatException e) {
            // past int64: TF Serving does not serve it either
          }
        }
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Writes {@code <root>/models.config} (a model_config_list naming every model folder under root
   * that holds a version) and {@code <root>/batching_parameters.txt}.
   *
   * @param basePath the folder TF Serving sees {@code root} as (e.g. "/models" in its container), or
   *     null for root's absolute path
   */
  public static void writeServerConfigs(Path root, String basePath) throws IOException {
    Map<String, Path> models = new TreeMap<>();
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : s.toList()) {
        if (Files.isDirectory(p) && !p.getFileName().toString().startsWith(".") && !versions(p).isEmpty()) {
          models.put(p.getFileName().toString(), p);
        }
      }
    }
    List<ServingConfigProtos.Model> configs = new ArrayList<>();
    for (Map.Entry<String, Path> m : models.entrySet()) {
      String base = basePath == null ? m.getValue().toAbsolutePath().normalize().toString()
          : basePath.replaceAll("/+$", "") + "/" + m.getKey();
      configs.add(new ServingConfigProtos.Model(m.getKey(), base));
    }
    // TF Serving's messages and protobuf's printer: a quote or newline in a path is escaped
    AtomicFiles.writeString(root.resolve(MODELS_CONFIG), ServingConfigProtos.modelsConfig(configs));
    // tensorflow_model_server --enable_batching --batching_parameters_file=batching_parameters.txt
    AtomicFiles.writeString(root.resolve(BATCHING_FILE), ServingConfigProtos.batchingParameters(BATCHING));
  }

  /** The batching of batching_parameters.txt (BatchingParameters' fields). */
  static final Map<String, Long> BATCHING = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Map.of(
      "max_batch_size", 32L, "batch_timeout_micros", 2000L, "num_batch_threads", 4L, "max_enqueued_batches", 100L)));

  /** The example signature's outputs of {@code model} for {@code inputs}, as (name, shape, values). */
  public static <T extends TFloating> void writeExample(ServableModel<T> model, Map<String, HostArray> inputs, Path file)
      throws IOException {
    SafetensorsWriter w = new SafetensorsWriter();
    if (model.specJson() != null) {
      w.metadata("model", model.specJson());
    }
    Map<String, Operand<?>> outputs = model.signatures().get(model.exampleSignature()).outputs();
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = model.session().runner();
      for (Map.Entry<String, HostArray> e : inputs.entrySet()) {
        HostArray a = e.getValue();
        Tensor t = a.tensor();
        fed.add(t);
        runner.feed(model.inputs().get(e.getKey()), t);
        if (a.ints() != null) {
          w.putInts("input." + e.getKey(), a.shape(), a.ints());
        } else {
          double[] d = new double[a.floats().length];
          for (int i = 0; i < d.length; i++) {
            d[i] = a.floats()[i];
          }
          w.putFloats("input." + e.getKey(), a.shape(), d);
        }
      }
      outputs.values().forEach(runner::fetch);
      try (var result = runner.run()) {
        int i = 0;
        for (String name : outputs.keySet()) {
          Tensor t = result.get(i++);
          w.putFloats("output." + name, t.shape().asArray(), HostTensors.toDoubles(t));
        }
      }
    } finally {
      fed.forEach(Tensor::close);
    }
    // the generate signature is the language models' own (GeneratingModel): its example needs their lengths
    if (model instanceof GeneratingModel<T> lm && model.signatures().containsKey(GenerateSignature.KEY)) {
      writeGenerateExample(lm, inputs.get("input_ids").ints(), w);
    }
    w.write(file);
  }

  /**
   * The tokens the graph's generate loop gives for two prompts cut from the example inputs:
   * greedy ({@code generate.output.new_tokens}) and sampled at temperature 1 with seeds 7 and 8
   * ({@code generate.output.sampled_new_tokens}).
   */
  private static <T extends TFloating> void writeGenerateExample(GeneratingModel<T> model, int[] ids, SafetensorsWriter w) {
    int n = model.length();
    int p = Math.min(8, Math.min(n, model.maxLength() - 1));
    int[] prompt = new int[2 * p];
    System.arraycopy(ids, 0, prompt, 0, p);
    System.arraycopy(ids, n, prompt, p, p);
    int[] lengths = {p, Math.max(1, p / 2)};
    int maxNew = Math.min(16, model.maxLength() - p);
    w.putInts("generate.input.prompt_ids", new long[] {2, p}, prompt);
    w.putInts("generate.input.prompt_lengths", new long[] {2}, lengths);
    w.putInts("generate.input.max_new_tokens", new long[] {2}, new int[] {maxNew, maxNew});
    w.putInts("generate.output.new_tokens", new long[] {2, maxNew},
        runGenerate(model, prompt, lengths, maxNew, 0f, new long[] {0, 0}));
    w.putInts("generate.output.sampled_new_tokens", new long[] {2, maxNew},
        runGenerate(model, prompt, lengths, maxNew, 1f, new long[] {7, 8}));
  }

  private static <T extends TFloating> int[] runGenerate(GeneratingModel<T> model, int[] prompt, int[] lengths, int maxNew,
      float temperature, long[] seeds) {
    ServableModel.Signature sig = model.signatures().get(GenerateSignature.KEY);
    Map<String, Operand<?>> in = sig.inputs();
    try (Tensor pt = HostTensors.ints(new long[] {2, prompt.length / 2}, prompt);
        Tensor lt = HostTensors.ints(new long[] {2}, lengths);
        Tensor mt = HostTensors.ints(new long[] {2}, new int[] {maxNew, maxNew});
        Tensor tt = org.tensorflow.types.TFloat32.vectorOf(temperature, temperature);
        Tensor kt = HostTensors.ints(new long[] {2}, new int[] {0, 0});
        Tensor st = org.tensorflow.types.TInt64.vectorOf(seeds);
        var result = model.session().runner().feed(in.get("prompt_ids"), pt).feed(in.get("prompt_lengths"), lt)
            .feed(in.get("max_new_tokens"), mt).feed(in.get("temperature"), tt).feed(in.get("top_k"), kt)
            .feed(in.get("seed"), st).fetch(sig.outputs().get("new_tokens")).run()) {
      return HostTensors.toInts(result.get(0));
    }
  }

  private static void publishPermissions(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.toList()) {
        AtomicFiles.readableByAll(p);
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
