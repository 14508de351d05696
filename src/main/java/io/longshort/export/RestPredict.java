package io.longshort.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * TF Serving's REST predict API ({@code POST /v1/models/<m>:predict}) against a loaded SavedModel:
 * the row format {@code {"instances": [...]}} answered with {@code {"predictions": [...]}}, and the
 * columnar format {@code {"inputs": ...}} answered with {@code {"outputs": ...}}; string inputs (the
 * text signatures) take JSON strings or {@code {"b64": ...}}. A request with {@code "examples"} is
 * TF Serving's REST Classify API ({@code :classify}), answered with {@code {"results": ...}}. As in TF Serving,
 * an instance (or the inputs) is an object by input name, or a bare value when the signature has
 * one input; a bare value comes back when it has one output. Bad requests throw
 * {@link BadRequest}, whose message goes into TF Serving's {@code {"error": "..."}}.
 */
public final class RestPredict {
  // a request is one JSON object: text after it, or a key given twice, is a bad request
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private RestPredict() {}

  /** A request the model cannot answer; TF Serving answers these with HTTP 400. */
  public static final class BadRequest extends Exception {
    public BadRequest(String message) {
      super(message);
    }
  }

  /** {@code {"error": message}}, as TF Serving writes it. */
  public static String errorJson(String message) {
    return NODES.objectNode().put("error", message).toString();
  }

  /**
   * Runs {@code request} (TF Serving REST JSON) on the session with {@code signatures}; returns the
   * response JSON.
   */
  public static String predict(Session session, Map<String, SignatureDef> signatures, String request)
      throws BadRequest {
    return predict(session, signatures, request, ServingLimits.NONE);
  }

  /** As {@link #predict(Session, Map, String)}, refusing what {@code limits} does not allow before running. */
  public static String predict(Session session, Map<String, SignatureDef> signatures, String request,
      ServingLimits limits) throws BadRequest {
    JsonNode root;
    try {
      root = JSON.readTree(request);
    } catch (JsonProcessingException e) {
      var at = e.getLocation();
      String message = String.valueOf(e.getOriginalMessage());
      throw new BadRequest("JSON Parse error: " + (message.startsWith("Trailing token")
          ? "The document root must not be followed by other values" : message)
          + (at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()));
    }
    if (root == null || !root.isObject()) {
      throw new BadRequest("JSON Value: " + abbreviate(String.valueOf(root)) + " Is not object");
    }
    String sigName = SavedModelWriter.DEFAULT_SIGNATURE;
    if (root.has("signature_name")) {
      if (!root.get("signature_name").isTextual()) {
        throw new BadRequest("'signature_name' key must be a string value.");
      }
      sigName = root.get("signature_name").asText();
    }
    SignatureDef sig = signatures.get(sigName);
    if (sig == null) {
      throw new BadRequest("Serving signature name: \"" + sigName + "\" not found in signature def; the model has "
          + signatures.keySet().stream().filter(k -> !k.startsWith("__")).toList());
    }
    if (root.has("examples")) {
      return classify(session, sigName, sig, root.get("examples"), limits);
    }
    boolean rows = root.has("instances");
    boolean columns = root.has("inputs");
    if (rows == columns) {
      throw new BadRequest(rows
          ? "Not both 'instances' and 'inputs' keys may be given in the same request."
          : "Missing 'inputs' or 'instances' key");
    }
    Map<String, TensorInfo> inputInfo = new LinkedHashMap<>(sig.getInputsMap());
    Map<String, Tensor> fed = new LinkedHashMap<>();
    try {
      Map<String, JsonNode> columnsByName = rows ? fromRows(root.get("instances"), inputInfo)
          : fromColumns(root.get("inputs"), inputInfo);
      checkBatchSize(columnsByName, inputInfo, limits);
      long batch = -1;
      for (Map.Entry<String, JsonNode> e : columnsByName.entrySet()) {
        Tensor t = toTensor(e.getKey(), e.getValue(), inputInfo.get(e.getKey()));
        checkIds(e.getKey(), t, limits);
        checkSampling(e.getKey(), t);
        fed.put(e.getKey(), t);
        long b = t.shape().numDimensions() > 0 ? t.shape().get(0) : -1;
        if (batch >= 0 && b != batch) {
          throw new BadRequest("Input tensors must have the same size along the batch dimension: '" + e.getKey()
              + "' has " + b + ", others " + batch);
        }
        batch = b;
      }
      Session.Runner runner = session.runner();
      fed.forEach((name, t) -> runner.feed(inputInfo.get(name).getName(), t));
      List<String> outNames = new ArrayList<>(new java.util.TreeSet<>(sig.getOutputsMap().keySet()));
      for (String o : outNames) {
        runner.fetch(sig.getOutputsMap().get(o).getName());
      }
      Map<String, JsonNode> outputs = new LinkedHashMap<>();
      try (var result = runner.run()) {
        for (int i = 0; i < outNames.size(); i++) {
          outputs.put(outNames.get(i), toJson(result.get(i)));
        }
      } catch (org.tensorflow.exceptions.TensorFlowException | org.tensorflow.exceptions.TFInvalidArgumentException e) {
        // TF Java's INVALID_ARGUMENT (the graph's input checks) is an IllegalArgumentException, not
        // a TensorFlowException: TF Serving answers both as {"error": status message}
        throw new BadRequest(e.getMessage());
      }
      ObjectNode response = NODES.objectNode();
      if (rows) {
        ArrayNode predictions = response.putArray("predictions");
        for (int r = 0; r < batch; r++) {
          if (outputs.size() == 1) {
            predictions.add(outputs.values().iterator().next().get(r));
          } else {
            ObjectNode row = predictions.addObject();
            for (Map.Entry<String, JsonNode> o : outputs.entrySet()) {
              row.set(o.getKey(), o.getValue().get(r));
            }
          }
        }
      } else if (outputs.size() == 1) {
        response.set("outputs", outputs.values().iterator().next());
      } else {
        ObjectNode out = response.putObject("outputs");
        outputs.forEach(out::set);
      }
      return response.toString();
    } finally {
      fed.values().forEach(Tensor::close);
    }
  }

  /**
   * TF Serving's REST Classify API ({@code POST /v1/models/<m>:classify}): {@code examples} (one
   * JSON object per tf.Example: a string is a bytes feature, {"b64": ...} one of raw bytes, an
   * integer an int64 and a float a float feature; a list a feature of several values) serialized
   * and fed to the signature's {@code inputs}; answered {@code {"results": [[[class, score], ...],
   * ...]}}, one list of (class, score) pairs per example, as TF Serving's classifier writes them.
   */
  private static String classify(Session session, String sigName, SignatureDef sig, JsonNode examples,
      ServingLimits limits) throws BadRequest {
    if (!sig.getMethodName().equals(TextSignatures.CLASSIFY_METHOD)) {
      throw new BadRequest("Expected classification signature method_name to be " + TextSignatures.CLASSIFY_METHOD
          + ". Was: " + sig.getMethodName() + " (signature '" + sigName + "'; the text Classify signature is '"
          + TextSignatures.CLASSIFY + "')");
    }
    if (!examples.isArray()) {
      throw new BadRequest("'examples' must be an array of objects");
    }
    if (examples.isEmpty()) {
      throw new BadRequest("Input is empty");
    }
    if (limits.maxBatchSize() > 0 && examples.size() > limits.maxBatchSize()) {
      throw new BadRequest("Task size " + examples.size() + " is larger than maximum input batch size "
          + limits.maxBatchSize() + " (max_batch_size in " + limits.batchingFile() + "); split the request");
    }
    byte[][] serialized = new byte[examples.size()][];
    for (int i = 0; i < examples.size(); i++) {
      serialized[i] = example(i, examples.get(i)).toByteArray();
    }
    String classesName = sig.getOutputsMap().containsKey("classes") ? sig.getOutputsMap().get("classes").getName() : null;
    String scoresName = sig.getOutputsMap().containsKey("scores") ? sig.getOutputsMap().get("scores").getName() : null;
    Session.Runner runner = session.runner();
    try (org.tensorflow.types.TString in = org.tensorflow.types.TString.tensorOfBytes(
        org.tensorflow.ndarray.NdArrays.vectorOfObjects(serialized))) {
      runner.feed(sig.getInputsOrThrow(TextSignatures.CLASSIFY_INPUTS).getName(), in);
      if (classesName != null) {
        runner.fetch(classesName);
      }
      if (scoresName != null) {
        runner.fetch(scoresName);
      }
      try (var result = runner.run()) {
        JsonNode classes = classesName != null ? toJson(result.get(0)) : null;
        JsonNode scores = scoresName != null ? toJson(result.get(classesName != null ? 1 : 0)) : null;
        ObjectNode response = NODES.objectNode();
        ArrayNode results = response.putArray("results");
        for (int r = 0; r < examples.size(); r++) {
          ArrayNode pairs = results.addArray();
          int k = (classes != null ? classes : scores).get(r).size();
          for (int c = 0; c < k; c++) {
            ArrayNode pair = pairs.addArray();
            // TF Serving writes the class, or "" when the signature has no classes; the score, or 0
            pair.add(classes != null ? classes.get(r).get(c) : NODES.textNode(""));
            pair.add(scores != null ? scores.get(r).get(c) : NODES.numberNode(0.0f));
          }
        }
        return response.toString();
      } catch (org.tensorflow.exceptions.TensorFlowException | org.tensorflow.exceptions.TFInvalidArgumentException e) {
        throw new BadRequest(e.getMessage());
      }
    }
  }

  /** One REST example object as a tf.Example (TF Serving's JSON mapping of features). */
  private static org.tensorflow.proto.Example example(int index, JsonNode json) throws BadRequest {
    if (!json.isObject()) {
      throw new BadRequest("examples[" + index + "]: expecting a JSON object of features, got "
          + abbreviate(json.toString()));
    }
    org.tensorflow.proto.Features.Builder features = org.tensorflow.proto.Features.newBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      List<JsonNode> values = new ArrayList<>();
      if (f.getValue().isArray()) {
        f.getValue().forEach(values::add);
      } else {
        values.add(f.getValue());
      }
      org.tensorflow.proto.Feature.Builder feature = org.tensorflow.proto.Feature.newBuilder();
      String where = "examples[" + index + "]['" + f.getKey() + "']";
      if (values.isEmpty()) {
        throw new BadRequest(where + ": an empty list has no type");
      }
      if (values.stream().allMatch(v -> v.isTextual() || isB64(v))) {
        var bytes = org.tensorflow.proto.BytesList.newBuilder();
        for (JsonNode v : values) {
          bytes.addValue(com.google.protobuf.ByteString.copyFrom(stringBytes(where, v)));
        }
        feature.setBytesList(bytes);
      } else if (values.stream().allMatch(JsonNode::isIntegralNumber)) {
        var ints = org.tensorflow.proto.Int64List.newBuilder();
        values.forEach(v -> ints.addValue(v.asLong()));
        feature.setInt64List(ints);
      } else if (values.stream().allMatch(JsonNode::isNumber)) {
        var floats = org.tensorflow.proto.FloatList.newBuilder();
        values.forEach(v -> floats.addValue((float) v.asDouble()));
        feature.setFloatList(floats);
      } else {
        throw new BadRequest(where + ": expected strings, {\"b64\": ...} or numbers of one kind, got "
            + abbreviate(f.getValue().toString()));
      }
      features.putFeature(f.getKey(), feature.build());
    }
    return org.tensorflow.proto.Example.newBuilder().setFeatures(features).build();
  }

  private static boolean isB64(JsonNode v) {
    return v.isObject() && v.size() == 1 && v.has("b64") && v.get("b64").isTextual();
  }

  /** A JSON string's UTF-8 bytes, or the bytes of TF Serving's {"b64": "..."} form. */
  private static byte[] stringBytes(String where, JsonNode v) throws BadRequest {
    if (isB64(v)) {
      try {
        return java.util.Base64.getDecoder().decode(v.get("b64").asText());
      } catch (IllegalArgumentException e) {
        throw new BadRequest(where + ": 'b64' is not base64: " + e.getMessage());
      }
    }
    return v.asText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * TF Serving's batching refuses a request of more rows than max_batch_size (with its own words:
   * "Task size ... is larger than maximum input batch size"); so do we, before building any tensor.
   */
  private static void checkBatchSize(Map<String, JsonNode> columns, Map<String, TensorInfo> inputs,
      ServingLimits limits) throws BadRequest {
    if (limits.maxBatchSize() <= 0) {
      return;
    }
    for (Map.Entry<String, JsonNode> c : columns.entrySet()) {
      TensorInfo info = inputs.get(c.getKey());
      int rank = info == null || info.getTensorShape().getUnknownRank() ? -1 : info.getTensorShape().getDimCount();
      if (rank >= 0 && depth(c.getValue()) != rank) {
        continue; // not rows of this input (a 1-D input_ids is one row's ids): the rank check names it
      }
      if (c.getValue().isArray() && c.getValue().size() > limits.maxBatchSize()) {
        throw new BadRequest("Task size " + c.getValue().size() + " is larger than maximum input batch size "
            + limits.maxBatchSize() + " (max_batch_size in " + limits.batchingFile() + "); split the request");
      }
    }
  }

  /** The nesting depth of a JSON value along its first elements: 0 for a scalar, 2 for [[1, 2]]. */
  private static int depth(JsonNode n) {
    int d = 0;
    for (JsonNode at = n; at.isArray() && !at.isEmpty(); at = at.get(0)) {
      d++;
    }
    return n.isArray() && n.isEmpty() ? 1 : d;
  }

  /** Token ids outside the vocabulary are a bad request, not a gather error deep in the graph. */
  private static void checkIds(String name, Tensor t, ServingLimits limits) throws BadRequest {
    if (limits.vocabSize() <= 0 || !name.startsWith("input_ids") || !(t instanceof TInt32 ids)) {
      return;
    }
    int n = Math.toIntExact(t.shape().size());
    int[] v = new int[n];
    ids.copyTo(DataBuffers.of(v, false, false));
    long[] shape = t.shape().asArray();
    for (int i = 0; i < n; i++) {
      if (v[i] < 0 || v[i] >= limits.vocabSize()) {
        throw new BadRequest("input '" + name + "': id " + v[i] + " at " + index(i, shape)
            + " is outside the vocabulary: ids must be in [0, " + limits.vocabSize() + ")");
      }
    }
  }

  /** The generate signature's per-row settings, refused as the generate command refuses them. */
  private static void checkSampling(String name, Tensor t) throws BadRequest {
    int n = Math.toIntExact(t.shape().size());
    if (name.equals("temperature") && t instanceof TFloat32 f) {
      float[] v = new float[n];
      f.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        if (!(v[i] >= 0) || Float.isInfinite(v[i])) {
          throw new BadRequest("input 'temperature': " + v[i] + " at [" + i + "] must be a finite number >= 0"
              + " (0 = greedy)");
        }
      }
    } else if ((name.equals("top_k") || name.equals("max_new_tokens")) && t instanceof TInt32 k) {
      int[] v = new int[n];
      k.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        if (v[i] < 0) {
          throw new BadRequest("input '" + name + "': " + v[i] + " at [" + i + "] must be >= 0");
        }
      }
    }
  }

  private static String index(int flat, long[] shape) {
    long[] at = new long[shape.length];
    long rest = flat;
    for (int d = shape.length - 1; d >= 0; d--) {
      at[d] = rest % shape[d];
      rest /= shape[d];
    }
    return java.util.Arrays.toString(at);
  }

  /** Row format: one column (array over instances) per input. */
  private static Map<String, JsonNode> fromRows(JsonNode instances, Map<String, TensorInfo> inputs) throws BadRequest {
    if (!instances.isArray()) {
      throw new BadRequest("Expecting 'instances' to be an list/array");
    }
    if (instances.isEmpty()) {
      throw new BadRequest("No values in 'instances'");
    }
    Map<String, JsonNode> columns = new LinkedHashMap<>();
    if (inputs.size() == 1 && (!instances.get(0).isObject() || isB64(instances.get(0)))) {
      columns.put(inputs.keySet().iterator().next(), instances);
      return columns;
    }
    for (String name : inputs.keySet()) {
      columns.put(name, NODES.arrayNode());
    }
    int i = 0;
    for (JsonNode inst : instances) {
      if (!inst.isObject()) {
        throw new BadRequest("instances[" + i + "]: expecting an object with the inputs " + inputs.keySet()
            + " (the signature has " + inputs.size() + " inputs)");
      }
      for (Iterator<String> it = inst.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!inputs.containsKey(k)) {
          throw new BadRequest("instances[" + i + "]: unknown input '" + k + "'; the signature takes " + inputs.keySet());
        }
      }
      for (String name : inputs.keySet()) {
        if (!inst.has(name)) {
          throw new BadRequest("instances[" + i + "]: missing input '" + name + "'; the signature takes "
              + inputs.keySet());
        }
        ((ArrayNode) columns.get(name)).add(inst.get(name));
      }
      i++;
    }
    return columns;
  }

  private static Map<String, JsonNode> fromColumns(JsonNode in, Map<String, TensorInfo> inputs) throws BadRequest {
    Map<String, JsonNode> columns = new LinkedHashMap<>();
    if (!in.isObject()) {
      if (inputs.size() != 1) {
        throw new BadRequest("'inputs' must be an object with the inputs " + inputs.keySet());
      }
      columns.put(inputs.keySet().iterator().next(), in);
      return columns;
    }
    for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!inputs.containsKey(k)) {
        throw new BadRequest("unknown input '" + k + "'; the signature takes " + inputs.keySet());
      }
    }
    for (String name : inputs.keySet()) {
      if (!in.has(name)) {
        throw new BadRequest("missing input '" + name + "'; the signature takes " + inputs.keySet());
      }
      columns.put(name, in.get(name));
    }
    return columns;
  }

  /** A rectangular nested array as a tensor of the input's dtype, checked against its shape. */
  private static Tensor toTensor(String name, JsonNode value, TensorInfo info) throws BadRequest {
    List<Long> dims = new ArrayList<>();
    JsonNode n = value;
    while (n.isArray()) {
      dims.add((long) n.size());
      if (n.isEmpty()) {
        break;
      }
      n = n.get(0);
    }
    TensorShapeProto want = info.getTensorShape();
    if (!want.getUnknownRank()) {
      if (dims.size() != want.getDimCount()) {
        throw new BadRequest("input '" + name + "': expected rank " + want.getDimCount() + " (shape "
            + shapeString(want) + " with the batch first), got rank " + dims.size() + " (shape " + dims + ")");
      }
      for (int d = 0; d < dims.size(); d++) {
        long w = want.getDim(d).getSize();
        if (w >= 0 && dims.get(d) != w) {
          throw new BadRequest("input '" + name + "': dimension " + d + " must be " + w + " (shape "
              + shapeString(want) + "), got " + dims.get(d));
        }
      }
    }
    long size = dims.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
    List<JsonNode> flat = new ArrayList<>();
    flatten(name, value, 0, dims, flat);
    if (flat.size() != size) {
      throw new BadRequest("input '" + name + "': the nested lists are not rectangular");
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    DataType dt = info.getDtype();
    switch (dt) {
      case DT_INT32, DT_INT64 -> {
        long[] v = new long[flat.size()];
        for (int i = 0; i < v.length; i++) {
          JsonNode x = flat.get(i);
          if (!x.isIntegralNumber() || (dt == DataType.DT_INT32 && !x.canConvertToInt())
              || (dt == DataType.DT_INT64 && !x.canConvertToLong())) {
            throw new BadRequest("input '" + name + "': expected " + (dt == DataType.DT_INT32 ? "int32" : "int64")
                + " values, got " + abbreviate(x.toString()));
          }
          v[i] = x.asLong();
        }
        if (dt == DataType.DT_INT32) {
          int[] iv = new int[v.length];
          for (int i = 0; i < v.length; i++) {
            iv[i] = (int) v[i];
          }
          return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(iv, true, false));
        }
        return TInt64.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
      }
      case DT_FLOAT -> {
        float[] v = new float[flat.size()];
        for (int i = 0; i < v.length; i++) {
          if (!flat.get(i).isNumber()) {
            throw new BadRequest("input '" + name + "': expected float values, got " + abbreviate(flat.get(i).toString()));
          }
          v[i] = (float) flat.get(i).asDouble();
        }
        return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(v, true, false));
      }
      case DT_STRING -> {
        byte[][] v = new byte[flat.size()][];
        for (int i = 0; i < v.length; i++) {
          JsonNode x = flat.get(i);
          if (!x.isTextual() && !isB64(x)) {
            throw new BadRequest("input '" + name + "': expected strings (or {\"b64\": ...}), got "
                + abbreviate(x.toString()));
          }
          v[i] = stringBytes("input '" + name + "'", x);
        }
        return org.tensorflow.types.TString.tensorOfBytes(Shape.of(shape), DataBuffers.ofObjects(v));
      }
      default -> throw new BadRequest("input '" + name + "': dtype " + dt + " is not supported by this server");
    }
  }

  private static void flatten(String name, JsonNode n, int depth, List<Long> dims, List<JsonNode> out)
      throws BadRequest {
    if (depth == dims.size()) {
      if (n.isArray() || (n.isObject() && !isB64(n))) {
        throw new BadRequest("input '" + name + "': the nested lists are not rectangular");
      }
      out.add(n);
      return;
    }
    if (!n.isArray() || n.size() != dims.get(depth)) {
      throw new BadRequest("input '" + name + "': the nested lists are not rectangular (dimension " + depth
          + " should have " + dims.get(depth) + " entries)");
    }
    for (JsonNode c : n) {
      flatten(name, c, depth + 1, dims, out);
    }
  }

  /** A tensor as nested JSON arrays. */
  private static JsonNode toJson(Tensor t) {
    long[] shape = t.shape().asArray();
    int n = Math.toIntExact(t.shape().size());
    JsonNode[] leaves = new JsonNode[n];
    if (t instanceof TFloat32 f) {
      float[] v = new float[n];
      f.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        leaves[i] = NODES.numberNode(v[i]);
      }
    } else if (t instanceof TFloat64 d) {
      double[] v = new double[n];
      d.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        leaves[i] = NODES.numberNode(v[i]);
      }
    } else if (t instanceof TInt64 l) {
      long[] v = new long[n];
      l.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        leaves[i] = NODES.numberNode(v[i]);
      }
    } else if (t instanceof TInt32 l) {
      int[] v = new int[n];
      l.copyTo(DataBuffers.of(v, false, false));
      for (int i = 0; i < n; i++) {
        leaves[i] = NODES.numberNode(v[i]);
      }
    } else if (t instanceof org.tensorflow.types.TString str) {
      // text as text (UTF-8; a byte that is no UTF-8, e.g. a continuation cut mid-character, reads as U+FFFD)
      int i = 0;
      for (byte[] b : (Iterable<byte[]>) str.asBytes().streamOfObjects()::iterator) {
        leaves[i++] = NODES.textNode(new String(b, java.nio.charset.StandardCharsets.UTF_8));
      }
    } else {
      throw new IllegalArgumentException("unsupported output dtype " + t.dataType());
    }
    return nest(leaves, shape, 0, 0);
  }

  private static JsonNode nest(JsonNode[] leaves, long[] shape, int depth, int offset) {
    if (depth == shape.length) {
      return leaves[offset];
    }
    int stride = 1;
    for (int d = depth + 1; d < shape.length; d++) {
      stride *= (int) shape[d];
    }
    ArrayNode a = NODES.arrayNode();
    for (int i = 0; i < shape[depth]; i++) {
      a.add(nest(leaves, shape, depth + 1, offset + i * stride));
    }
    return a;
  }

  static String shapeString(TensorShapeProto s) {
    if (s.getUnknownRank()) {
      return "unknown rank";
    }
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < s.getDimCount(); i++) {
      b.append(i > 0 ? ", " : "").append(s.getDim(i).getSize());
    }
    return b.append(s.getDimCount() == 1 ? ",)" : ")").toString();
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
