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
import io.longshort.graph.text.Tokenizers;
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
 *   <li>language models (our byte LMs; the authors' LM, its bytes read as train-lm reads them or
 *       through an imported model's fairseq dictionary): {@value #SCORE_TEXT} ({@code text} (B) in;
 *       {@code log_probs} (B, N-1) float32, entry t the natural log-probability of byte t+1 given
 *       the bytes before it, 0 past the text (the first byte has no context and is not scored),
 *       {@code bits} (B) the total -log2 probability of the scored bytes, {@code scored} (B) their
 *       count, {@code truncated} (B)) and {@value #GENERATE_TEXT} ({@code text} (B) prompts in;
 *       {@code continuation} (B) string: the bytes of {@link #newBytes} greedy new tokens, and
 *       {@code truncated} (B): prompt tokens cut, the first {@code maxLength - newBytes} kept).
 *       The log-probs come from the model's {@link TokenServable#scoring()}: serving_default's
 *       logits (our LMs) or {@code score}'s per-token log-probs (the authors' LM, N its capacity).
 * </ul>
 * A model with a static batch ({@link TokenServable#requestRows()}, the authors' LM) takes that
 * many strings per request.
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

  /** The tokenizer of a token model's spec, or null when it has none ({@link Tokenizers#of(ModelSpec)}). */
  public static TextTokenizer tokenizer(ModelSpec spec) {
    return Tokenizers.of(spec);
  }

  /** Two texts of the family's kind: what the warm-up requests send to the text signatures. */
  public static List<String> exampleTexts(TextTokenizer tokenizer) {
    return tokenizer instanceof ListOpsTokenizer ? List.of("[MAX 2 9 [MIN 4 7 ] 0 ]", "[SM 1 2 ]")
        : List.of("A short text to warm up with.", "Another one, with \u00e9 and \uD83D\uDE00.");
  }

  /**
   * The example texts for a model taking {@code rows} rows per request (-1: any number): the two,
   * or for a static batch that many of them in turn.
   */
  public static List<String> exampleTexts(TextTokenizer tokenizer, int rows) {
    List<String> two = exampleTexts(tokenizer);
    if (rows < 0) {
      return two;
    }
    List<String> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      out.add(two.get(r % two.size()));
    }
    return out;
  }

  /** The text inputs of a task: {@code text}, or {@code text_0} and {@code text_1} for retrieval. */
  public static List<String> textInputs(Task task) {
    return task == Task.RETRIEVAL ? List.of("text_0", "text_1") : List.of("text");
  }

  /** The class names the text signatures answer with: the labels, else the class ids as strings. */
  public static List<String> classNames(int classes, List<String> labels) {
    if (labels != null) {
      if (labels.size() != classes) {
        throw new IllegalArgumentException("labels: " + labels.size() + " names " + labels + " for a model of "
            + classes + " classes");
      }
      return labels;
    }
    List<String> ids = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
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
   * @param options the export's options: with {@link ExportOptions#xla()} the id computation the
   *     text signatures call compiles with XLA; the label names and the classify feature
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
    TextTokenizer tokenizer = model.tokenizer();
    Map<String, Signature> sigs = new LinkedHashMap<>();
    if (tokenizer == null) {
      return new Text(sigs, List.of(), Map.of(), null, null);
    }
    Graph g = model.graph();
    Map<String, Signature> ids = model.signatures();
    Ops tf = Ops.create(g).withSubScope(SCOPE);
    List<Parameter<T>> params = model.parameters().list();
    Encoder encoder = new Encoder(tokenizer, vocabularyFile);
    Map<String, List<Table>> tablesOf = new LinkedHashMap<>();
    if (model.task() == Task.LANGUAGE_MODEL) {
      TokenServable.Scoring scoring = model.scoring();
      Signature scored = ids.get(scoring.signature());
      // the scoring signature's computation: its ids input and variables -> logits or log-probs
      FunctionDef forward = SavedModelWriter.function(g, SCOPE + "_forward",
          sorted(Map.of(scoring.input(), scored.inputs().get(scoring.input()))), params,
          Map.of(scoring.output(), scored.outputs().get(scoring.output())));
      FunctionCalls.define(g, forward);
      int before = encoder.tables.size();
      sigs.put(SCORE_TEXT, scoreText(tf.withSubScope(SCORE_TEXT), encoder, model, forward, params, options.xla()));
      tablesOf.put(SCORE_TEXT, List.copyOf(encoder.tables.subList(before, encoder.tables.size())));
      if (ids.containsKey(GenerateSignature.KEY)) {
        before = encoder.tables.size();
        sigs.put(GENERATE_TEXT, generateText(g, tf.withSubScope(GENERATE_TEXT), encoder, model,
            ids.get(GenerateSignature.KEY), params));
        tablesOf.put(GENERATE_TEXT, List.copyOf(encoder.tables.subList(before, encoder.tables.size())));
      }
    } else {
      Signature idDefault = ids.get(ServingSignatures.DEFAULT);
      // the id signature's computation, inputs (sorted by name) and variables -> logits
      FunctionDef forward = SavedModelWriter.function(g, SCOPE + "_forward", sorted(idDefault.inputs()), params,
          Map.of("logits", idDefault.outputs().get("logits")));
      FunctionCalls.define(g, forward);
      List<String> names = classNames(model.classes(), options.labels());
      Ops p = tf.withSubScope(PREDICT_TEXT);
      Map<String, Operand<TString>> texts = new LinkedHashMap<>();
      for (String name : textInputs(model.task())) {
        texts.put(name, p.withName(name).placeholder(TString.class, Placeholder.shape(Shape.of(model.requestRows()))));
      }
      int before = encoder.tables.size();
      sigs.put(PREDICT_TEXT, classifier(p, encoder, model.length(), texts, names, forward, params, options.xla(), true));
      tablesOf.put(PREDICT_TEXT, List.copyOf(encoder.tables.subList(before, encoder.tables.size())));
      before = encoder.tables.size();
      Ops c = tf.withSubScope(CLASSIFY);
      Operand<TString> serialized = c.withName(CLASSIFY_INPUTS).placeholder(TString.class,
          Placeholder.shape(Shape.of(model.requestRows())));
      Map<String, Operand<TString>> parsed = parse(c, serialized, features(model.task(), options.textFeature()),
          textInputs(model.task()));
      Signature classify = classifier(c, encoder, model.length(), parsed, names, forward, params, options.xla(), false);
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
    private final TextTokenizer tokenizer;
    private final String vocabularyFile;
    private final List<Table> tables = new ArrayList<>();
    private int uses;

    Encoder(TextTokenizer tokenizer, String vocabularyFile) {
      this.tokenizer = tokenizer;
      this.vocabularyFile = vocabularyFile;
    }

    /** The first {@code n} tokens of each string, padded to n. */
    TextEncoding encode(Ops where, Operand<TString> strings, int n) {
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
  private static <T extends TFloating> Signature classifier(Ops tf, Encoder encoder, int n,
      Map<String, Operand<TString>> texts,
      List<String> names, FunctionDef forward, List<Parameter<T>> params, boolean xla, boolean withLogits) {
    Map<String, Operand<?>> idInputs = new TreeMap<>();
    Map<String, Operand<?>> outputs = new TreeMap<>();
    for (Map.Entry<String, Operand<TString>> t : texts.entrySet()) {
      String suffix = t.getKey().substring("text".length()); // "" or "_0", "_1"
      TextEncoding e = encoder.encode(tf, t.getValue(), n);
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

  /**
   * Texts -> their first N tokens -> the scoring computation (logits, or each token's log-prob) ->
   * the log-prob of token t+1 given those before it, for t+1 inside the text.
   */
  private static <T extends TFloating> Signature scoreText(Ops tf, Encoder encoder, TokenServable<T> model,
      FunctionDef forward, List<Parameter<T>> params, boolean xla) {
    TokenServable.Scoring scoring = model.scoring();
    Operand<TString> text = tf.withName("text").placeholder(TString.class, Placeholder.shape(Shape.of(model.requestRows())));
    TextEncoding e = encoder.encode(tf, text, model.length());
    Operand<TFloat32> out = callLogits(tf, forward, Map.of(scoring.input(), e.ids()), params, xla);
    Operand<TFloat32> picked; // (B, N-1): entry t the log-prob of token t+1
    if (scoring.logits()) {
      Operand<TFloat32> logp = tf.nn.logSoftmax(out); // (B, N, V)
      long v = out.shape().size(2);
      // position t predicts token t+1: (B, N-1, V) against the ids shifted left (B, N-1)
      Operand<TFloat32> predicting = tf.stridedSlice(logp, tf.constant(new int[] {0, 0, 0}),
          tf.constant(new int[] {0, -1, 0}), tf.constant(new int[] {1, 1, 1}),
          org.tensorflow.op.core.StridedSlice.beginMask(5L), org.tensorflow.op.core.StridedSlice.endMask(5L));
      picked = tf.reduceSum(tf.math.mul(predicting,
          tf.oneHot(shiftedLeft(tf, e.ids()), tf.constant((int) v), tf.constant(1f), tf.constant(0f))),
          tf.constant(2)); // (B, N-1)
    } else {
      picked = shiftedLeft(tf, out); // (B, N) -> (B, N-1): token t+1's own log-prob
    }
    Operand<TFloat32> nextMask = tf.dtypes.cast(shiftedLeft(tf, e.mask()), TFloat32.class); // (B, N-1)
    Operand<TFloat32> logProbs = tf.withName("log_probs").math.mul(picked, nextMask);
    Map<String, Operand<?>> outputs = new TreeMap<>();
    outputs.put("log_probs", logProbs);
    outputs.put("bits", tf.withName("bits").math.div(tf.math.neg(tf.reduceSum(logProbs, tf.constant(1))),
        tf.constant((float) Math.log(2))));
    outputs.put("scored", tf.withName("scored").dtypes.cast(tf.reduceSum(nextMask, tf.constant(1)), TInt32.class));
    outputs.put("truncated", e.truncated());
    return new Signature(new LinkedHashMap<>(Map.of("text", text)), new LinkedHashMap<>(outputs));
  }

  /** (B, N) -> (B, N-1): columns 1.. . */
  private static <U extends org.tensorflow.types.family.TType> Operand<U> shiftedLeft(Ops tf, Operand<U> x) {
    return tf.stridedSlice(x, tf.constant(new int[] {0, 1}), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {1, 1}), org.tensorflow.op.core.StridedSlice.beginMask(1L),
        org.tensorflow.op.core.StridedSlice.endMask(3L));
  }

  /**
   * Prompts -> their first maxLength - newBytes tokens (the model's tokenizer) -> the generate
   * signature's loop (greedy, newBytes new tokens) called as a function -> the new tokens' bytes
   * ({@link TextTokenizer#byteOfId}) joined into strings.
   */
  private static <T extends TFloating> Signature generateText(Graph g, Ops tf, Encoder encoder, TokenServable<T> model,
      Signature generate, List<Parameter<T>> params) {
    int newBytes = newBytes(model);
    int p = model.maxLength() - newBytes;
    Operand<TString> text = tf.withName("text").placeholder(TString.class, Placeholder.shape(Shape.of(model.requestRows())));
    TextEncoding e = encoder.encode(tf, text, p);
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
    // (B, M) ids, -1 past a row's own -> one string each: entry 0 of the table is "", entry id+1 the
    // bytes of id (none for an id that stands for no byte)
    int v = model.vocabSize();
    byte[][] bytes = new byte[v + 1][];
    bytes[0] = new byte[0];
    for (int id = 0; id < v; id++) {
      int b = encoder.tokenizer.byteOfId(id);
      bytes[id + 1] = b < 0 ? new byte[0] : new byte[] {(byte) b};
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
