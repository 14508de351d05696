package io.longshort.export;

import io.longshort.graph.model.SignatureChecks;
import io.longshort.io.AtomicFiles;
import io.longshort.graph.model.GenerateSignature;
import io.longshort.graph.model.ModelGraph;
import io.longshort.graph.model.GeneratingModel;
import io.longshort.graph.model.ServableModel;
import io.longshort.graph.model.ServingSignatures;
import io.longshort.graph.core.Parameter;
import io.longshort.graph.core.Parameters;
import io.longshort.graph.vision.VisionModelGraph;
import io.longshort.spec.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.TensorFlow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedBareConcreteFunction;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedConcreteFunction;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedObjectGraph;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedUserObject;
import org.tensorflow.proto.SavedObjectGraphOuterClass.SavedVariable;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.Struct.DictValue;
import org.tensorflow.proto.Struct.StructuredValue;
import org.tensorflow.proto.Struct.TensorSpecProto;
import org.tensorflow.proto.Struct.TupleValue;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject.ObjectReference;
import org.tensorflow.proto.VariableDef;
import org.tensorflow.proto.VersionDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Writes a {@link ModelGraph} with its current weights as a SavedModel: {@code saved_model.pb},
 * {@code variables/variables.{index,data-00000-of-00001}} and an empty {@code assets/}.
 *
 * <p>One MetaGraphDef, tag {@code serve}, that three kinds of loaders read:
 * <ul>
 *   <li><b>TF Serving, TF1 loaders, TF Java's SavedModelBundle</b> use the graph, the signature
 *       defs (tensor names in the graph) and the saver_def, whose restore op assigns every
 *       variable from the checkpoint. No init op is named: running the variables' initializers
 *       would overwrite the restored weights.
 *   <li><b>Python TF2 ({@code tf.saved_model.load})</b> uses the saved_object_graph: the
 *       {@link TrackableTree} of the parameters (variables by their PyTorch paths, plus the
 *       {@code variables} / {@code trainable_variables} lists), a {@code signatures} map whose
 *       entries are concrete functions in the graph's function library, and the checkpoint's
 *       {@code _CHECKPOINTABLE_OBJECT_GRAPH}. Each function is the model's forward subgraph
 *       (TF_GraphToFunction, through TF Java's ConcreteFunction) with the variables as resource
 *       arguments, bound to the variable objects; its inputs and outputs are in the sorted-key
 *       order TF2 flattens dicts in.
 * </ul>
 *
 * <p>Signatures (all method {@code tensorflow/serving/predict}):
 * <ul>
 *   <li>{@code serving_default}: the model's inputs ({@code input_ids}, {@code mask}, ...),
 *       outputs {@code logits} and {@code probabilities} (softmax over the last axis);
 *   <li>{@code classify} (classifiers and retrieval models): {@code scores} (the probabilities)
 *       and {@code classes} (int64 index of the highest score). TF Serving's
 *       {@code tensorflow/serving/classify} method takes serialized tf.Example protos and string
 *       class labels, which token-id models do not have; a predict signature with the Classify
 *       API's output names gives clients the same answer over the Predict API;
 *   <li>{@code generate} (language models, {@code GenerateSignature}): prompt ids and lengths,
 *       max new tokens, temperature, top-k and seed in, generated tokens out, the decode loop a
 *       While op whose body and condition are functions of the graph's library.
 * </ul>
 *
 * <p>{@link ExportOptions}: with {@code xla} each signature's outputs are those of a must-compile
 * call ({@link CompiledSignatures}; generate: a loop whose step compiles); with {@code bf16} the
 * model computes in bfloat16 and its logits are widened to float32 before the heads, while the
 * variables (and the checkpoint) stay float32.
 */
public final class SavedModelWriter {
  public static final String SAVED_MODEL_FILE = "saved_model.pb";
  public static final String VARIABLES_DIR = "variables";
  public static final String VARIABLES_PREFIX = "variables";
  public static final String ASSETS_DIR = "assets";
  public static final String TAG = "serve";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";
  public static final String DEFAULT_SIGNATURE = ServingSignatures.DEFAULT;
  /** The id-based classify signature (a predict signature; {@link TextSignatures#CLASSIFY} is TF Serving's Classify API). */
  public static final String CLASSIFY_IDS_SIGNATURE = ServingSignatures.CLASSIFY_IDS;
  /** The class names, one a line (class id = line number), in {@code assets/}. */
  public static final String LABELS_ASSET = "labels.txt";
  /** The vocabulary table's file in {@code assets/} (families with a table). */
  public static final String VOCABULARY_ASSET = "vocabulary.txt";
  /** The signature key TF2 and TF Serving read the init op from (the tables' initializers). */
  public static final String INIT_OP_SIGNATURE = "__saved_model_init_op";
  /** The TF1 collection of AssetFileDefs. */
  public static final String ASSETS_COLLECTION = "saved_model_assets";

  private SavedModelWriter() {}

  /**
   * Writes the SavedModel of {@code model} with the signatures it declares
   * ({@link ServableModel#signatures()}) into {@code dir}, which must not exist or be empty. Not
   * atomic by itself: {@link ServingExport} writes into a temporary folder and renames it.
   */
  /**
   * Why TensorFlow could not load a SavedModel, in words that name the files: its own message for
   * a truncated file ("Read less bytes than requested") names neither the file nor the cause.
   */
  public static String loadFailure(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    String first = m.lines().findFirst().orElse(m);
    if (m.contains("Read less bytes than requested") || m.contains("truncated") || m.contains("Data loss")
        || m.contains("corrupted")) {
      return "its " + SAVED_MODEL_FILE + " or " + VARIABLES_DIR + "/ files are truncated or damaged (TensorFlow: "
          + first + "); export it again, or copy the whole version folder";
    }
    return first;
  }

  public static <T extends TFloating> void write(ServableModel<T> model, Path dir) throws IOException {
    write(model, dir, ExportOptions.PLAIN);
  }

  /**
   * Writes the SavedModel with {@code options}: with {@link ExportOptions#xla()} every signature
   * calls a must-compile function ({@link CompiledSignatures}) and generate's loop compiles its
   * step ({@link GeneratingModel#generateSignature}); with {@link ExportOptions#bf16()}
   * the model must compute in bfloat16 from float32 variables.
   */
  public static <T extends TFloating> void write(ServableModel<T> model, Path dir, ExportOptions options)
      throws IOException {
    checkPrecision(model.parameters(), options);
    Map<String, Map<String, Operand<?>>> sigInputs = new LinkedHashMap<>();
    Map<String, Map<String, Operand<?>>> sigOutputs = new LinkedHashMap<>();
    model.signatures().forEach((key, sig) -> {
      sigInputs.put(key, sorted(sig.inputs()));
      sigOutputs.put(key, sorted(sig.outputs()));
    });
    if (options.xla() && sigOutputs.containsKey(GenerateSignature.KEY) && model instanceof GeneratingModel<T> lm) {
      sigOutputs.put(GenerateSignature.KEY, sorted(lm.generateSignature(io.longshort.compile.XlaFunction.MUST_COMPILE_CALLS).outputs()));
    }
    TextServing text = null;
    if (model instanceof io.longshort.graph.model.TokenServable<T> mg) {
      TextSignatures.Text t = TextSignatures.build(mg, options, VOCABULARY_ASSET);
      t.signatures().forEach((key, sig) -> {
        sigInputs.put(key, sorted(sig.inputs()));
        sigOutputs.put(key, sorted(sig.outputs()));
      });
      List<String> classes = mg.task() == Task.LANGUAGE_MODEL ? null
          : TextSignatures.classNames(mg.classes(), options.labels());
      text = new TextServing(t, classes);
    }
    write(model.graph(), model.session(), model.parameters(), sigInputs, sigOutputs, dir, options, model.vocabSize(),
        text);
  }

  /**
   * The text signatures of an export ({@link TextSignatures}) and the class names
   * {@code assets/labels.txt} lists (null for a model without classes).
   */
  record TextServing(TextSignatures.Text text, List<String> classNames) {
    boolean isText(String key) {
      return text.signatures().containsKey(key);
    }
  }

  /** bf16 exports need a model that computes in bfloat16 from float32 variables, and only those. */
  static void checkPrecision(Parameters<?> params, ExportOptions options) {
    boolean bf16 = params.dtype() == TBfloat16.class && params.variableDtype() == TFloat32.class;
    if (options.bf16() != bf16) {
      throw new IllegalArgumentException("ExportOptions: bf16 (" + options.bf16() + ") does not match the model, "
          + "which computes in " + params.dtype().getSimpleName() + " with " + params.variableDtype().getSimpleName()
          + " variables; bf16 exports take a model built in bfloat16 from float32 variables "
          + "(ModelGraph.builder(spec).setDtype(TBfloat16.class).optVariableDtype(TFloat32.class)), other exports a model of one dtype");
    }
  }

  private static <V> Map<String, V> sorted(Map<String, V> m) {
    return new LinkedHashMap<>(new TreeMap<>(m));
  }

  /** Writes {@code modelGraph} with the given signatures (inputs and outputs by signature key). */
  public static <T extends TFloating> void write(Graph modelGraph, Session session, Parameters<T> parameters,
      Map<String, Map<String, Operand<?>>> sigInputs, Map<String, Map<String, Operand<?>>> plainOutputs, Path dir,
      ExportOptions options) throws IOException {
    write(modelGraph, session, parameters, sigInputs, plainOutputs, dir, options, 0);
  }

  /**
   * {@link #write(Graph, Session, Parameters, Map, Map, Path, ExportOptions)}; the signatures' model
   * inputs are checked in the graph ({@link SignatureChecks}: ids in 0..vocabSize-1 unless
   * vocabSize is 0, masks 0 or 1), outside any compiled function.
   */
  public static <T extends TFloating> void write(Graph modelGraph, Session session, Parameters<T> parameters,
      Map<String, Map<String, Operand<?>>> sigInputs, Map<String, Map<String, Operand<?>>> plainOutputs, Path dir,
      ExportOptions options, int vocabSize) throws IOException {
    write(modelGraph, session, parameters, sigInputs, plainOutputs, dir, options, vocabSize, null);
  }

  private static <T extends TFloating> void write(Graph modelGraph, Session session, Parameters<T> parameters,
      Map<String, Map<String, Operand<?>>> sigInputs, Map<String, Map<String, Operand<?>>> plainOutputs, Path dir,
      ExportOptions options, int vocabSize, TextServing text) throws IOException {
    if (Files.exists(dir)) {
      try (var s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw new IOException(dir + " is not empty");
        }
      }
    }
    TfCheckpoints.Saver saver = TfCheckpoints.saver(parameters);
    TrackableTree tree = saver.tree();
    Files.createDirectories(dir.resolve(ASSETS_DIR));
    saver.save(session, dir.resolve(VARIABLES_DIR).resolve(VARIABLES_PREFIX));

    List<Parameter<T>> params = parameters.list();
    // the compiled calls go into the graph before it is serialised
    Map<String, Map<String, Operand<?>>> sigOutputs = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, Operand<?>>> sig : plainOutputs.entrySet()) {
      // a text signature calls the id computation (compiled under xla); its string ops stay outside XLA
      boolean textKey = text != null && text.isText(sig.getKey());
      boolean wrap = options.xla() && !sig.getKey().equals(GenerateSignature.KEY) && !textKey;
      Map<String, Operand<?>> outputs = sig.getValue();
      if (wrap) {
        outputs = CompiledSignatures.wrap(modelGraph, sig.getKey(), sigInputs.get(sig.getKey()), params, outputs,
            vocabSize);
      } else if (!sig.getKey().equals(GenerateSignature.KEY)) { // generate checks its inputs before its loop
        outputs = SignatureChecks.gated(Ops.create(modelGraph).withSubScope(sig.getKey()), sigInputs.get(sig.getKey()),
            outputs, vocabSize);
      }
      sigOutputs.put(sig.getKey(), outputs);
    }
    List<TextSignatures.Table> tables = text == null ? List.of() : text.text().tables();
    if (text != null) {
      TextAssets.writeFiles(dir.resolve(ASSETS_DIR), text);
    }
    GraphDef.Builder graphDef = modelGraph.toGraphDef().toBuilder();
    // each variable's handle node named as it declares itself (shared_name): MLIR's importer needs it
    Map<String, String> handleNames = VariableNodeNames.apply(graphDef);
    MetaGraphDef.Builder meta = MetaGraphDef.newBuilder();
    meta.getMetaInfoDefBuilder().addTags(TAG).setTensorflowVersion(TensorFlow.version())
        .setTensorflowGitVersion("longshort (TensorFlow Java)");
    meta.setSaverDef(saver.saverDef());

    // the object graph: the tree's nodes keep their ids; signatures and functions come after
    SavedObjectGraph.Builder objects = SavedObjectGraph.newBuilder();
    for (TrackableTree.Node n : tree.nodes()) {
      SavedObject.Builder o = objects.addNodesBuilder();
      n.children().forEach((name, id) -> o.addChildren(ObjectReference.newBuilder().setNodeId(id).setLocalName(name)));
      if (n.variable() != null) {
        Parameter<?> p = n.variable();
        o.setVariable(SavedVariable.newBuilder().setDtype(dataType(p.variable())).setShape(shapeProto(Shape.of(p.shape())))
            .setTrainable(true).setName(p.name()));
      } else {
        o.setUserObject(userObject(n.listKind() != null ? n.listKind() : "_generic_user_object"));
      }
    }
    int signaturesId = objects.getNodesCount();
    SavedObject.Builder signatureMap = objects.addNodesBuilder().setUserObject(userObject("signature_map"));
    objects.getNodesBuilder(0).addChildren(ObjectReference.newBuilder().setNodeId(signaturesId).setLocalName("signatures"));
    // TF2: each vocabulary table a resource object that creates and fills itself from the asset
    Map<TextSignatures.Table, Integer> tableIds = tables.isEmpty() ? Map.of()
        : TextAssets.tableObjects(graphDef, objects, tables);

    for (Map.Entry<String, Map<String, Operand<?>>> sig : sigOutputs.entrySet()) {
      String key = sig.getKey();
      Map<String, Operand<?>> outputs = sig.getValue();
      Map<String, Operand<?>> inputs = sigInputs.get(key);
      SignatureDef.Builder def = SignatureDef.newBuilder().setMethodName(
          key.equals(TextSignatures.CLASSIFY) && text != null && text.isText(key) ? TextSignatures.CLASSIFY_METHOD
              : PREDICT_METHOD);
      inputs.forEach((name, op) -> def.putInputs(name, tensorInfo(op)));
      outputs.forEach((name, op) -> def.putOutputs(name, tensorInfo(op)));
      meta.putSignatureDef(key, def.build());

      List<TextSignatures.Table> captured = text == null ? List.of() : text.text().tablesOf(key);
      FunctionDef fn = function(modelGraph, key, inputs, params, outputs,
          captured.stream().<Operand<?>>map(TextSignatures.Table::handle).toList());
      graphDef.getLibraryBuilder().addFunction(fn);
      String fnName = fn.getSignature().getName();
      int fnId = objects.getNodesCount();
      objects.addNodesBuilder().setBareConcreteFunction(SavedBareConcreteFunction.newBuilder()
          .setConcreteFunctionName(fnName).addAllArgumentKeywords(inputs.keySet()).setAllowedPositionalArguments(0));
      signatureMap.addChildren(ObjectReference.newBuilder().setNodeId(fnId).setLocalName(key));
      DictValue.Builder in = DictValue.newBuilder();
      inputs.forEach((name, op) -> in.putFields(name, tensorSpec(name, op)));
      DictValue.Builder out = DictValue.newBuilder();
      outputs.forEach((name, op) -> out.putFields(name, tensorSpec(name, op)));
      SavedConcreteFunction.Builder cf = SavedConcreteFunction.newBuilder()
          .setCanonicalizedInputSignature(StructuredValue.newBuilder().setTupleValue(TupleValue.newBuilder()
              .addValues(StructuredValue.newBuilder().setTupleValue(TupleValue.getDefaultInstance()))
              .addValues(StructuredValue.newBuilder().setDictValue(in))))
          .setOutputSignature(StructuredValue.newBuilder().setDictValue(out));
      for (Parameter<T> p : params) {
        cf.addBoundInputs(tree.variableId(p.name()));
      }
      captured.forEach(t -> cf.addBoundInputs(tableIds.get(t)));
      objects.putConcreteFunctions(fnName, cf.build());
    }
    // TF1 loaders (tf.compat.v1.saved_model.load) find the variables through these collections
    CollectionDef.BytesList.Builder vars = CollectionDef.BytesList.newBuilder();
    for (Parameter<T> p : params) {
      String handle = p.handle().op().name();
      vars.addValue(VariableDef.newBuilder().setVariableName(handleNames.getOrDefault(handle, handle) + ":0")
          .setInitializerName(p.initializer().op().name())
          .setSnapshotName(p.variable().op().name() + ":0")
          .setIsResource(true).setTrainable(true).build().toByteString());
    }
    CollectionDef varCollection = CollectionDef.newBuilder().setBytesList(vars).build();
    meta.putCollectionDef("variables", varCollection);
    meta.putCollectionDef("trainable_variables", varCollection);
    if (!tables.isEmpty()) {
      TextAssets.register(meta, tables, text.text().initOp());
    }
    meta.setGraphDef(graphDef);
    meta.setObjectGraphDef(objects);
    SavedModel sm = SavedModel.newBuilder().setSavedModelSchemaVersion(1).addMetaGraphs(meta).build();
    AtomicFiles.write(dir.resolve(SAVED_MODEL_FILE), sm.toByteArray());
  }

  /**
   * The forward subgraph from {@code inputs} to {@code outputs} as a function whose arguments are
   * the inputs (sorted by name) and then every variable (in parameter order).
   */
  static <T extends TFloating> FunctionDef function(Graph graph, String key, Map<String, Operand<?>> inputs,
      List<Parameter<T>> params, Map<String, Operand<?>> outputs) {
    return function(graph, key, inputs, params, outputs, List.of());
  }

  /** {@link #function(Graph, String, Map, List, Map)} whose last arguments are {@code captures} (table handles). */
  static <T extends TFloating> FunctionDef function(Graph graph, String key, Map<String, Operand<?>> inputs,
      List<Parameter<T>> params, Map<String, Operand<?>> outputs, List<Operand<?>> captures) {
    Signature.Builder b = Signature.builder(key);
    inputs.forEach(b::input);
    for (int i = 0; i < params.size(); i++) {
      b.input("var_" + i, params.get(i).handle());
    }
    for (int i = 0; i < captures.size(); i++) {
      b.input("table_" + i, captures.get(i));
    }
    outputs.forEach(b::output);
    FunctionDef fn;
    try (ConcreteFunction f = ConcreteFunction.create(b.build(), graph)) {
      fn = f.getFunctionDef();
    }
    // check the argument order TF2 relies on
    var args = fn.getSignature().getInputArgList();
    List<String> want = new ArrayList<>(inputs.keySet());
    if (args.size() != inputs.size() + params.size() + captures.size()) {
      throw new IllegalStateException("function for '" + key + "' has " + args.size() + " arguments, expected "
          + (inputs.size() + params.size() + captures.size()));
    }
    for (int i = 0; i < want.size(); i++) {
      // named after the input's op: the key itself at the top level, scope_key inside a scope
      String arg = args.get(i).getName();
      if (!arg.equals(want.get(i)) && !arg.endsWith("_" + normalize(want.get(i)))) {
        throw new IllegalStateException("function for '" + key + "': argument " + i + " is " + args.get(i).getName()
            + ", expected " + want.get(i));
      }
    }
    for (int i = 0; i < params.size(); i++) {
      String expect = normalize(params.get(i).handle().op().name());
      String got = normalize(args.get(want.size() + i).getName());
      if (args.get(want.size() + i).getType() != DataType.DT_RESOURCE || !got.startsWith(expect)) {
        throw new IllegalStateException("function for '" + key + "': argument " + (want.size() + i) + " is "
            + args.get(want.size() + i).getName() + ", expected the variable " + params.get(i).name());
      }
    }
    // outputs are named after their ops; their order must be the sorted keys'
    List<String> outNames = fn.getSignature().getOutputArgList().stream().map(a -> normalize(a.getName())).toList();
    List<String> wantOut = outputs.values().stream().map(o -> normalize(o.op().name())).toList();
    if (!outNames.equals(wantOut)) {
      throw new IllegalStateException("function for '" + key + "' returns " + outNames + ", expected " + wantOut);
    }
    return fn;
  }

  private static String normalize(String name) {
    return name.replaceAll("[^A-Za-z0-9]", "_").toLowerCase(Locale.ROOT);
  }

  private static SavedUserObject userObject(String identifier) {
    return SavedUserObject.newBuilder().setIdentifier(identifier)
        .setVersion(VersionDef.newBuilder().setProducer(1).setMinConsumer(1)).build();
  }

  static DataType dataType(Operand<?> op) {
    return op.asOutput().dataType();
  }

  static TensorShapeProto shapeProto(Shape shape) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    if (shape.isUnknown()) {
      return b.setUnknownRank(true).build();
    }
    for (long d : shape.asArray()) {
      b.addDimBuilder().setSize(d);
    }
    return b.build();
  }

  private static TensorInfo tensorInfo(Operand<?> op) {
    Output<?> o = op.asOutput();
    return TensorInfo.newBuilder().setName(o.op().name() + ":" + o.index()).setDtype(o.dataType())
        .setTensorShape(shapeProto(o.shape())).build();
  }

  private static StructuredValue tensorSpec(String name, Operand<?> op) {
    return StructuredValue.newBuilder().setTensorSpecValue(TensorSpecProto.newBuilder().setName(name)
        .setDtype(dataType(op)).setShape(shapeProto(op.shape()))).build();
  }
}
