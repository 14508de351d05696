package io.longshort.export;

import io.longshort.data.ByteTokenizer;
import io.longshort.data.ListOpsTokenizer;
import io.longshort.data.ListOpsVocab;
import io.longshort.data.TextTokenizer;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.model.GenerateSignature;
import io.longshort.graph.model.TokenServable;
import io.longshort.graph.model.ServableModel.Signature;
import io.longshort.graph.model.ServingSignatures;
import io.longshort.graph.text.TextEncoderGraph;
import io.longshort.graph.text.TextEncoding;
import io.longshort.spec.ModelSpec;
import io.longshort.spec.Task;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.ParseExample;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TFloating;

/**
 * The text signatures a {@link TokenServable} is served with beside its id signatures (which stay as
 * they are): strings in, the model's tokenizer ({@link TextTokenizer}, the one definition Java
 * encodes with) run in the graph by {@link TextEncoderGraph}, then the id signature's own
 * computation called as a function on those ids, so the logits are the id signature's for Java's
 * encoding of the same strings.
 * <ul>
 *   <li>classifiers and retrieval: {@value #PREDICT_TEXT} ({@code text} (B) string in, retrieval
 *       {@code text_0} and {@code text_1}; out {@code classes} (B, C) label names and
 *       {@code scores} (B, C) probabilities, best first, the id signature's {@code logits} (B, C)
 *       and {@code truncated} (B) int32: the tokens cut to fit N, per text) and {@value #CLASSIFY}
 *       (TF Serving's Classify API: serialized tf.Example protos under {@code inputs}, the text in
 *       a bytes feature named at export; {@code classes} and {@code scores} as in predict_text);
 *   <li>byte language models: {@value #SCORE_TEXT} ({@code text} (B) in; {@code log_probs}
 *       (B, N-1) float32, entry t the natural log-probability of byte t+1 given the bytes before
 *       it, 0 past the text (the first byte has no context and is not scored), {@code bits} (B) the
 *       total -log2 probability of the scored bytes, {@code scored} (B) their count,
 *       {@code truncated} (B)) and {@value #GENERATE_TEXT} ({@code text} (B) prompts in;
 *       {@code continuation} (B) string: the greedy continuation of {@link #newBytes} bytes, and
 *       {@code truncated} (B): prompt bytes cut, the first {@code maxLength - newBytes} kept).
 * </ul>
 * When the model has no label names the classes are the class ids as strings. A family whose
 * vocabulary is neither bytes nor ListOps (a custom vocabulary) gets no text signatures.
 */
public final class TextSignatures {
  public static final String PREDICT_TEXT = "predict_text";
  /** TF Serving's Classify API signature (the id-based one is {@link ServingSignatures#CLASSIFY_IDS}). */
  public static final String CLASSIFY = "classify";
  public static final String SCORE_TEXT = "score_text";
  public static final String GENERATE_TEXT = "generate_text";
  /** TF Serving's method name of a Classify signature. */
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  /** The Classify API's one input: serialized tf.Example protos (B). */
  public static final String CLASSIFY_INPUTS = "inputs";
  /** The bytes generate_text adds to a prompt (fewer when the model is shorter: {@link #newBytes}). */
  public static final int GENERATE_NEW_BYTES = 64;
  private static final String SCOPE = "text_serving";

  private TextSignatures() {}

  /**
   * The tokenizer of a spec's family, or null when it has none: ListOps-sized vocabularies
   * (at most {@link ListOpsVocab#VOCAB_SIZE}) read ListOps expressions, classifier and retrieval
   * vocabularies of 257 and more read bytes (id byte + 1), language models of vocabulary 256 bytes.
   */
  public static TextTokenizer tokenizer(ModelSpec spec) {
    if (spec.task() == Task.LANGUAGE_MODEL) {
      return spec.vocabSize() == 256 ? ByteTokenizer.LANGUAGE_MODEL : null;
    }
    if (spec.vocabSize() <= ListOpsVocab.VOCAB_SIZE) {
      return ListOpsTokenizer.INSTANCE;
    }
    return spec.vocabSize() >= 256 + ByteTokenizer.ID_OFFSET ? ByteTokenizer.INSTANCE : null;
  }

  /** Two texts of the family's kind: what the warm-up requests send to the text signatures. */
  public static List<String> exampleTexts(TextTokenizer tokenizer) {
    return tokenizer instanceof ListOpsTokenizer ? List.of("[MAX 2 9 [MIN 4 7 ] 0 ]", "[SM 1 2 ]")
        : List.of("A short text to warm up with.", "Another one, with \u00e9 and \uD83D\uDE00.");
  }

  /** The text inputs of a task: {@code text}, or {@code text_0} and {@code text_1} for retrieval. */
  public static List<String> textInputs(Task task) {
    return task == Task.RETRIEVAL ? List.of("text_0", "text_1") : List.of("text");
  }

  /** The class names the text signatures answer with: the labels, else the class ids as strings. */
  public static List<String> classNames(ModelSpec spec, List<String> labels) {
    if (labels != null) {
      if (labels.size() != spec.classes()) {
        throw new IllegalArgumentException("labels: " + labels.size() + " names " + labels + " for a model of "
            + spec.classes() + " classes");
      }
      return labels;
    }
    List<String> ids = new ArrayList<>();
    for (int c = 0; c < spec.classes(); c++) {
      ids.add(Integer.toString(c));
    }
    return ids;
  }

  /** The bytes generate_text adds: {@link #GENERATE_NEW_BYTES}, at most the cap and half the model's length. */
  public static int newBytes(TokenServable<?> model) {
    return Math.max(1, Math.min(GENERATE_NEW_BYTES, Math.min(model.maxNewTokensCap(), model.maxLength() / 2)));
  }

  /**
   * The text signatures of {@code model} (empty when its family has no tokenizer), added to its
   * graph once.
   *
   * @param vocabularyFile the name the vocabulary table's file has when the graph is built (the
   *     asset's tensor; loaders feed its real path), for families with a table
   * @param mustCompile whether the id computation the text signatures call compiles with XLA
   */
  public static synchronized <T extends TFloating> Text build(TokenServable<T> model, ExportOptions options,
      String vocabularyFile) {
    Text built = BUILT.get(model.graph());
    if (built != null) {
      return built;
    }
    built = buildOnce(model, options, vocabularyFile);
    BUILT.put(model.graph(), built);
    return built;
  }

  /** What each graph got: a model is exported with one set of options (its labels are in the graph). */
  private static final Map<Graph, Text> BUILT = new java.util.WeakHashMap<>();

  private static <T extends TFloating> Text buildOnce(TokenServable<T> model, ExportOptions options,
      String vocabularyFile) {
    ModelSpec spec = model.spec();
    TextTokenizer tokenizer = tokenizer(spec);
    Map<String, Signature> sigs = new LinkedHashMap<>();
    if (tokenizer == null) {
      return new Text(sigs, List.of(), Map.of(), null, null);
    }
    Graph g = model.graph();
    Map<String, Signature> ids = model.signatures();
    Ops tf = Ops.create(g).withSubScope(SCOPE);
    List<Parameter<T>> params = model.parameters().list();
    Signature idDefault = ids.get(ServingSignatures.DEFAULT);
    // the id signature's computation, inputs (sorted by name) and variables -> logits
    FunctionDef forward = SavedModelWriter.function(g, SCOPE + "_forward", sorted(idDefault.inputs()), params,
        Map.of("logits", idDefault.outputs().get("logits")));
    FunctionCalls.define(g, forward);
    Encoder encoder = new Encoder(tf, tokenizer, model.length(), vocabularyFile);
    Map<String, List<Table>> tablesOf = new LinkedHashMap<>();
    if (spec.task() == Task.LANGUAGE_MODEL) {
      sigs.put(SCORE_TEXT, scoreText(tf.withSubScope(SCORE_TEXT), encoder, forward, params, options.xla()));
      if (ids.containsKey(GenerateSignature.KEY)) {
        sigs.put(GENERATE_TEXT, generateText(g, tf.withSubScope(GENERATE_TEXT), model, ids.get(GenerateSignature.KEY),
            params));
      }
    } else {
      List<String> names = classNames(spec, options.labels());
      Ops p = tf.withSubScope(PREDICT_TEXT);
      Map<String, Operand<TString>> texts = new LinkedHashMap<>();
      for (String name : textInputs(spec.task())) {
        texts.put(name, p.withName(name).placeholder(TString.class, Placeholder.shape(Shape.of(-1))));
      }
      int before = encoder.tables.size();
      sigs.put(PREDICT_TEXT, classifier(p, encoder, texts, names, forward, params, options.xla(), true));
      tablesOf.put(PREDICT_TEXT, List.copyOf(encoder.tables.subList(before, encoder.tables.size())));
      before = encoder.tables.size();
      Ops c = tf.withSubScope(CLASSIFY);
      Operand<TString> serialized = c.withName(CLASSIFY_INPUTS).placeholder(TString.class,
          Placeholder.shape(Shape.of(-1)));
      Map<String, Operand<TString>> parsed = parse(c, serialized, features(spec.task(), options.textFeature()),
          textInputs(spec.task()));
      Signature classify = classifier(c, encoder, parsed, names, forward, params, options.xla(), false);
      sigs.put(CLASSIFY, new Signature(new LinkedHashMap<>(Map.of(CLASSIFY_INPUTS, serialized)), classify.outputs()));
      tablesOf.put(CLASSIFY, List.copyOf(encoder.tables.subList(before, encoder.tables.size())));
    }
    String init = encoder.tables.isEmpty() ? null : TextAssets.initOp(tf, encoder.tables);
    return new Text(sigs, List.copyOf(encoder.tables), tablesOf, tokenizer, init);
  }

  /**
   * What {@link #build} adds: the signatures, the vocabulary tables they read (one per text input;
   * none when the family's ids are computed, not looked up; and by signature) and the tokenizer whose
   * {@link TextTokenizer#vocabularyLines()} the tables' file holds, the name of the op that fills
   * every table (null without tables).
   */
  public record Text(Map<String, Signature> signatures, List<Table> tables, Map<String, List<Table>> tablesOf,
      TextTokenizer tokenizer, String initOp) {
    /** The tables signature {@code key} reads (its TF2 function takes their handles as arguments). */
    public List<Table> tablesOf(String key) {
      return tablesOf.getOrDefault(key, List.of());
    }
  }

  /**
   * A vocabulary table of the graph: its initializer (run once per session, the file's name read
   * from {@code path}, the tensor loaders feed the asset's real path to), and its handle.
   */
  public record Table(org.tensorflow.op.Op initializer, Operand<?> handle, Operand<?> path) {}

  /** The tf.Example features of a task's texts. */
  static List<String> features(Task task, String feature) {
    return task == Task.RETRIEVAL ? List.of(feature + "_0", feature + "_1") : List.of(feature);
  }

  /** Encodes each text input with its own ops (a table each, all filled from the one asset file). */
  private static final class Encoder {
    private final Ops tf;
    private final TextTokenizer tokenizer;
    private final int n;
    private final String vocabularyFile;
    private final List<Table> tables = new ArrayList<>();
    private int uses;

    Encoder(Ops tf, TextTokenizer tokenizer, int n, String vocabularyFile) {
      this.tf = tf;
      this.tokenizer = tokenizer;
      this.n = n;
      this.vocabularyFile = vocabularyFile;
    }

    TextEncoding encode(Ops where, Operand<TString> strings) {
      TextEncoding e = TextEncoderGraph.build(where.withSubScope("encode_" + uses++), tokenizer, strings, n,
          vocabularyFile);
      if (e.tableInitializer() != null) {
        // InitializeTableFromTextFileV2's first input is the table's handle
        tables.add(new Table(e.tableInitializer(), ((GraphOperation) e.tableInitializer().op()).input(0),
            e.vocabularyPath()));
      }
      return e;
    }
  }

  private static Map<String, Operand<TString>> parse(Ops tf, Operand<TString> serialized, List<String> features,
      List<String> inputNames) {
    List<Operand<?>> defaults = new ArrayList<>();
    List<Shape> shapes = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) {
      // an empty default: the feature is required, a missing one fails naming it
      defaults.add(tf.constant(Shape.of(0), org.tensorflow.ndarray.buffer.DataBuffers.ofObjects(new String[0])));
      shapes.add(Shape.scalar());
    }
    ParseExample parsed = tf.io.parseExample(serialized, strings(tf), strings(tf),
        strings(tf, features.toArray(new String[0])), strings(tf), defaults, 0L, List.of(), List.of(), List.of(), shapes);
    Map<String, Operand<TString>> out = new LinkedHashMap<>();
    for (int i = 0; i < features.size(); i++) {
      out.put(inputNames.get(i), parsed.denseValues().get(i).expect(TString.class));
    }
    return out;
  }

  /** Texts -> the id computation's logits -> classes and scores (best first); predict_text also logits, truncated. */
  private static <T extends TFloating> Signature classifier(Ops tf, Encoder encoder, Map<String, Operand<TString>> texts,
      List<String> names, FunctionDef forward, List<Parameter<T>> params, boolean xla, boolean withLogits) {
    Map<String, Operand<?>> idInputs = new TreeMap<>();
    Map<String, Operand<?>> outputs = new TreeMap<>();
    for (Map.Entry<String, Operand<TString>> t : texts.entrySet()) {
      String suffix = t.getKey().substring("text".length()); // "" or "_0", "_1"
      TextEncoding e = encoder.encode(tf, t.getValue());
      idInputs.put("input_ids" + suffix, e.ids());
      idInputs.put("mask" + suffix, e.mask());
      outputs.put("truncated" + suffix, e.truncated());
    }
    Operand<TFloat32> logits = callLogits(tf, forward, idInputs, params, xla); // (B, C)
    Operand<TFloat32> probs = tf.nn.softmax(logits);
    var top = tf.nn.topK(probs, tf.constant(names.size()), TInt32.class); // (B, C) best first, ties by class id
    Operand<TString> classNames = strings(tf, names.toArray(new String[0]));
    Map<String, Operand<?>> out = new TreeMap<>();
    out.put("classes", tf.withName("classes").gather(classNames, top.indices(), tf.constant(0)));
    out.put("scores", tf.withName("scores").identity(top.values()));
    if (withLogits) {
      out.put("logits", logits);
      out.putAll(outputs);
    }
    return new Signature(new LinkedHashMap<>(new TreeMap<>(texts)), new LinkedHashMap<>(out));
  }

  /** The forward function on encoded ids (by input name) and the variables: (B, ...) float32 logits. */
  private static <T extends TFloating> Operand<TFloat32> callLogits(Ops tf, FunctionDef forward,
      Map<String, Operand<?>> idInputs, List<Parameter<T>> params, boolean xla) {
    List<Output<?>> args = new ArrayList<>();
    new TreeMap<>(idInputs).values().forEach(o -> args.add(o.asOutput()));
    params.forEach(p -> args.add(p.handle().asOutput()));
    GraphOperation call = FunctionCalls.call(tf, "forward", forward, args, xla);
    return tf.withName("logits").dtypes.cast(call.output(0), TFloat32.class);
  }

  private static <T extends TFloating> Signature scoreText(Ops tf, Encoder encoder, FunctionDef forward,
      List<Parameter<T>> params, boolean xla) {
    Operand<TString> text = tf.withName("text").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
    TextEncoding e = encoder.encode(tf, text);
    Operand<TFloat32> logits = callLogits(tf, forward, Map.of("input_ids", e.ids()), params, xla); // (B, N, V)
    Operand<TFloat32> logp = tf.nn.logSoftmax(logits);
    long v = logits.shape().size(2);
    // position t predicts byte t+1: (B, N-1, V) against the ids shifted left (B, N-1)
    Operand<TFloat32> predicting = tf.stridedSlice(logp, tf.constant(new int[] {0, 0, 0}), tf.constant(new int[] {0, -1, 0}),
        tf.constant(new int[] {1, 1, 1}), org.tensorflow.op.core.StridedSlice.beginMask(5L),
        org.tensorflow.op.core.StridedSlice.endMask(5L));
    Operand<TInt32> next = tf.stridedSlice(e.ids(), tf.constant(new int[] {0, 1}), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {1, 1}), org.tensorflow.op.core.StridedSlice.beginMask(1L),
        org.tensorflow.op.core.StridedSlice.endMask(3L));
    Operand<TFloat32> nextMask = tf.dtypes.cast(tf.stridedSlice(e.mask(), tf.constant(new int[] {0, 1}),
        tf.constant(new int[] {0, 0}), tf.constant(new int[] {1, 1}), org.tensorflow.op.core.StridedSlice.beginMask(1L),
        org.tensorflow.op.core.StridedSlice.endMask(3L)), TFloat32.class); // (B, N-1)
    Operand<TFloat32> picked = tf.reduceSum(tf.math.mul(predicting,
        tf.oneHot(next, tf.constant((int) v), tf.constant(1f), tf.constant(0f))), tf.constant(2)); // (B, N-1)
    Operand<TFloat32> logProbs = tf.withName("log_probs").math.mul(picked, nextMask);
    Map<String, Operand<?>> out = new TreeMap<>();
    out.put("log_probs", logProbs);
    out.put("bits", tf.withName("bits").math.div(tf.math.neg(tf.reduceSum(logProbs, tf.constant(1))),
        tf.constant((float) Math.log(2))));
    out.put("scored", tf.withName("scored").dtypes.cast(tf.reduceSum(nextMask, tf.constant(1)), TInt32.class));
    out.put("truncated", e.truncated());
    return new Signature(new LinkedHashMap<>(Map.of("text", text)), new LinkedHashMap<>(out));
  }

  /**
   * Prompts -> their first maxLength - newBytes bytes -> the generate signature's loop (greedy, newBytes
   * new tokens) called as a function -> the new bytes joined into strings.
   */
  private static <T extends TFloating> Signature generateText(Graph g, Ops tf, TokenServable<T> model, Signature generate,
      List<Parameter<T>> params) {
    int newBytes = newBytes(model);
    int p = model.maxLength() - newBytes;
    Operand<TString> text = tf.withName("text").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
    TextEncoding e = TextEncoderGraph.build(tf.withSubScope("encode"), ByteTokenizer.LANGUAGE_MODEL, text, p, null);
    Operand<TInt32> lengths = tf.math.minimum(e.tokens(), tf.constant(p)); // (B)
    Operand<TInt32> batch = tf.shape(lengths); // [B]
    Map<String, Operand<?>> in = new TreeMap<>();
    in.put("prompt_ids", e.ids());
    in.put("prompt_lengths", lengths);
    in.put("max_new_tokens", tf.fill(batch, tf.constant(newBytes)));
    in.put("temperature", tf.fill(batch, tf.constant(0f)));
    in.put("top_k", tf.fill(batch, tf.constant(0)));
    in.put("seed", tf.fill(batch, tf.constant(0L)));
    FunctionDef loop = SavedModelWriter.function(g, SCOPE + "_generate", sorted(generate.inputs()), params,
        Map.of("new_tokens", generate.outputs().get("new_tokens")));
    FunctionCalls.define(g, loop);
    List<Output<?>> args = new ArrayList<>();
    in.values().forEach(o -> args.add(o.asOutput()));
    params.forEach(x -> args.add(x.handle().asOutput()));
    @SuppressWarnings("unchecked")
    Output<TInt32> newTokens = (Output<TInt32>) (Output<?>) FunctionCalls.call(tf, "generate", loop, args, false).output(0);
    // (B, M) ids, -1 past a row's own -> one string each: entry 0 of the table is "", entry b+1 byte b
    byte[][] bytes = new byte[257][];
    bytes[0] = new byte[0];
    for (int b = 0; b < 256; b++) {
      bytes[b + 1] = new byte[] {(byte) b};
    }
    Operand<TString> table;
    try (TString t = TString.tensorOfBytes(NdArrays.vectorOfObjects(bytes))) {
      table = tf.withName("bytes").constantOf(t);
    }
    Operand<TString> pieces = tf.gather(table, tf.math.add(newTokens, tf.constant(1)), tf.constant(0)); // (B, M)
    Map<String, Operand<?>> out = new TreeMap<>();
    out.put("continuation", tf.withName("continuation").strings.reduceJoin(pieces, tf.constant(1)));
    out.put("truncated", e.truncated());
    return new Signature(new LinkedHashMap<>(Map.of("text", text)), new LinkedHashMap<>(out));
  }

  /** A (k) string constant, k >= 0. */
  private static Operand<TString> strings(Ops tf, String... values) {
    return tf.constant(Shape.of(values.length), org.tensorflow.ndarray.buffer.DataBuffers.ofObjects(values));
  }

  private static Map<String, Operand<?>> sorted(Map<String, Operand<?>> m) {
    return new LinkedHashMap<>(new TreeMap<>(m));
  }
}
